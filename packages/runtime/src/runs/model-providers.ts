import { createAnthropic } from "@ai-sdk/anthropic";
import { createOpenAI } from "@ai-sdk/openai";
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { APICallError, type LanguageModel } from "ai";
import type { Config } from "../config/schema.js";
import type { SecretResolver } from "../secrets/secret-resolver.js";

export const PROVIDERS = ["ollama", "openai", "anthropic"] as const;
export type ProviderName = (typeof PROVIDERS)[number];

/** Which provider serves a model name, and the model's id there. */
export function parseModelName(
  model: string,
  defaultProvider: ProviderName,
): { provider: ProviderName; modelId: string } {
  const slash = model.indexOf("/");
  if (slash > 0) {
    const prefix = model.slice(0, slash) as ProviderName;
    // `meta-llama/Llama-3` is a model id of the default provider, not a provider called meta-llama.
    if ((PROVIDERS as readonly string[]).includes(prefix) && slash < model.length - 1)
      return { provider: prefix, modelId: model.slice(slash + 1) };
  }
  return { provider: defaultProvider, modelId: model };
}

export interface ResolvedModel {
  readonly provider: ProviderName;
  readonly modelId: string;
  readonly baseUrl: string;
  readonly model: LanguageModel;
  /** Only to cut it out of error texts; never stored or logged. */
  readonly apiKey: string | undefined;
}

/** A model call that failed; the message names provider and URL and never a key. */
export class ModelCallError extends Error {
  override readonly name = "ModelCallError";
}

/**
 * Providers echo a rejected key in their errors (OpenAI: "Incorrect API key provided: sk-ab***yz"):
 * the key, and anything shaped like one, is cut out before the text reaches a run.
 */
function redactKeys(text: string, apiKey: string | undefined): string {
  const redacted = apiKey ? text.split(apiKey).join("[redacted]") : text;
  return redacted.replace(/\bsk-[A-Za-z0-9_*.-]{6,}/g, "[redacted]");
}

export function describeModelError(
  target: { provider: string; baseUrl: string; apiKey?: string | undefined },
  error: unknown,
): ModelCallError {
  const where = `Model provider "${target.provider}" at ${target.baseUrl}`;
  if (APICallError.isInstance(error) && error.statusCode !== undefined) {
    const body = redactKeys((error.responseBody ?? "").slice(0, 500), target.apiKey);
    return new ModelCallError(`${where} answered HTTP ${error.statusCode}${body ? `: ${body}` : ""}`);
  }
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const detail = cause?.code ?? cause?.message ?? (error as Error).message ?? String(error);
  return new ModelCallError(`${where} could not be reached or failed: ${redactKeys(detail, target.apiKey)}`);
}

export interface ModelUse {
  tenantId: string;
  agentId: string;
  runId: string;
}

/**
 * Turns an agent's `model` into an AI SDK model. Keys come from the configuration (a value or a
 * `secret://` reference, resolved now, for this use, and audited) or the provider's usual
 * environment variable; they live only inside the provider client.
 */
export class ModelProviders {
  constructor(
    private readonly config: () => Config,
    private readonly secrets: SecretResolver,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  target(model: string): { provider: ProviderName; modelId: string; baseUrl: string } {
    const config = this.config();
    const { provider, modelId } = parseModelName(model, config.modelDefaultProvider);
    const baseUrl =
      provider === "ollama"
        ? config.ollamaBaseUrl
        : provider === "openai"
          ? config.openaiBaseUrl
          : config.anthropicBaseUrl;
    return { provider, modelId, baseUrl: baseUrl.replace(/\/+$/, "") };
  }

  async resolve(model: string, use: ModelUse): Promise<ResolvedModel> {
    const config = this.config();
    const target = this.target(model);
    const configured =
      target.provider === "ollama"
        ? config.ollamaApiKey
        : target.provider === "openai"
          ? (config.openaiApiKey ?? this.env.OPENAI_API_KEY)
          : (config.anthropicApiKey ?? this.env.ANTHROPIC_API_KEY);
    const apiKey =
      configured === undefined
        ? undefined
        : await this.secrets.resolve(configured, {
            tenantId: use.tenantId,
            agentId: use.agentId,
            purpose: `model provider key (${target.provider})`,
            requestId: `run:${use.runId}`,
          });
    let languageModel: LanguageModel;
    if (target.provider === "ollama") {
      languageModel = createOpenAICompatible({
        name: "ollama",
        baseURL: target.baseUrl,
        ...(apiKey ? { apiKey } : {}),
        includeUsage: true,
      }).chatModel(target.modelId);
    } else if (target.provider === "openai") {
      if (!apiKey)
        throw new ModelCallError(
          `Model provider "openai" at ${target.baseUrl} has no API key: set openaiApiKey (or secret://name) or OPENAI_API_KEY`,
        );
      languageModel = createOpenAI({ baseURL: target.baseUrl, apiKey }).chat(target.modelId);
    } else {
      if (!apiKey)
        throw new ModelCallError(
          `Model provider "anthropic" at ${target.baseUrl} has no API key: set anthropicApiKey (or secret://name) or ANTHROPIC_API_KEY`,
        );
      languageModel = createAnthropic({ baseURL: target.baseUrl, apiKey })(target.modelId);
    }
    return { ...target, model: languageModel, apiKey };
  }
}
