import { generateText } from "ai";
import type { Config } from "../../config/schema.js";
import { describeModelError, type ModelProviders } from "../../runs/model-providers.js";
import type { ToolJudge } from "./llm-judge.js";

export interface JudgeSetup {
  model: string;
  timeoutMs: number;
  ask: ToolJudge;
}

/**
 * The configured judge for one review, through the same providers runs use (keys from the
 * configuration or the secret store, never in errors); undefined when `reviewJudgeModel` is unset.
 */
export function configuredJudge(
  config: () => Config,
  models: ModelProviders,
): (tenantId: string, reviewId: string) => JudgeSetup | undefined {
  return (tenantId, reviewId) => {
    const { reviewJudgeModel: model, reviewJudgeTimeoutMs: timeoutMs } = config();
    if (!model) return undefined;
    return {
      model,
      timeoutMs,
      ask: async (prompt, signal) => {
        const resolved = await models.resolve(model, {
          tenantId,
          agentId: "tool-review",
          runId: `review:${reviewId}`,
        });
        try {
          const result = await generateText({
            model: resolved.model,
            system: prompt.system,
            prompt: prompt.prompt,
            temperature: 0,
            maxRetries: 0,
            abortSignal: signal,
          });
          return result.text;
        } catch (error) {
          throw describeModelError(resolved, error);
        }
      },
    };
  };
}
