import { AppError } from "../server/app-error.js";
import type { Embedder } from "./embedder.js";

export interface HttpEmbedderOptions {
  /** Ollama: the server (`http://127.0.0.1:11434`). OpenAI-compatible: the API base (`https://api.openai.com/v1`). */
  url: string;
  model: string;
  apiKey?: string | undefined;
  /** OpenAI's `dimensions` request parameter (text-embedding-3 models can shorten their vectors). */
  dimensions?: number | undefined;
  /** Texts per request. */
  batchSize: number;
  timeoutMs: number;
  fetch?: typeof fetch;
}

/**
 * What both wire protocols share: batching, a timeout, and failures turned into 503s that name the
 * server, so a client learns the embedding service is down rather than seeing a fault of ours.
 */
abstract class HttpEmbedder implements Embedder {
  abstract readonly id: string;
  private known: number | undefined;

  constructor(protected readonly options: HttpEmbedderOptions) {}

  async dimensions(): Promise<number> {
    if (this.known === undefined) {
      // The model says its size by answering; one short probe, remembered.
      const [probe] = await this.embed(["dimension probe"]);
      this.known = (probe as Float32Array).length;
    }
    return this.known;
  }

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for (let i = 0; i < texts.length; i += this.options.batchSize) {
      const batch = texts.slice(i, i + this.options.batchSize);
      const vectors = await this.request(batch);
      if (
        vectors.length !== batch.length ||
        vectors.some(
          (v) =>
            !Array.isArray(v) ||
            v.length === 0 ||
            v.some((x) => typeof x !== "number" || !Number.isFinite(x)),
        )
      ) {
        throw this.failure(
          `answered ${vectors.length} embeddings for ${batch.length} texts, or vectors that are not finite numbers`,
        );
      }
      const size = (vectors[0] as number[]).length;
      if (vectors.some((v) => v.length !== size) || (this.known !== undefined && size !== this.known)) {
        throw this.failure(`answered vectors of changing sizes (${size}, expected ${this.known ?? size})`);
      }
      this.known ??= size;
      for (const vector of vectors) out.push(Float32Array.from(vector));
    }
    return out;
  }

  protected abstract request(batch: readonly string[]): Promise<number[][]>;

  protected async post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<unknown> {
    const url = `${this.options.url.replace(/\/+$/, "")}${path}`;
    let response: Response;
    try {
      response = await (this.options.fetch ?? fetch)(url, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (error) {
      throw this.failure(`could not be reached: ${(error as Error).message}`);
    }
    const text = await response.text();
    if (!response.ok) throw this.failure(`answered ${response.status}: ${text.slice(0, 300)}`);
    try {
      return JSON.parse(text);
    } catch {
      throw this.failure("answered something that is not JSON");
    }
  }

  private failure(what: string): AppError {
    return new AppError("UNAVAILABLE", `The embedding server (${this.id} at ${this.options.url}) ${what}`, {
      embedder: this.id,
    });
  }
}

/** Ollama's `POST /api/embed` {model, input: [...]} → {embeddings: [[...]]}. */
export class OllamaEmbedder extends HttpEmbedder {
  readonly id: string;

  constructor(options: HttpEmbedderOptions) {
    super(options);
    this.id = `ollama:${options.model}`;
  }

  protected async request(batch: readonly string[]): Promise<number[][]> {
    const body = (await this.post("/api/embed", { model: this.options.model, input: batch })) as {
      embeddings?: number[][];
    };
    return Array.isArray(body.embeddings) ? body.embeddings : [];
  }
}

/** OpenAI's `POST {base}/embeddings` {model, input: [...]} → {data: [{index, embedding}]}; also vLLM, LM Studio, llama.cpp. */
export class OpenAiEmbedder extends HttpEmbedder {
  readonly id: string;

  constructor(options: HttpEmbedderOptions) {
    super(options);
    this.id = `openai:${options.model}${options.dimensions ? `:${options.dimensions}` : ""}`;
  }

  protected async request(batch: readonly string[]): Promise<number[][]> {
    const body = (await this.post(
      "/embeddings",
      {
        model: this.options.model,
        input: batch,
        encoding_format: "float",
        ...(this.options.dimensions ? { dimensions: this.options.dimensions } : {}),
      },
      this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {},
    )) as { data?: { index?: number; embedding?: number[] }[] };
    if (!Array.isArray(body.data)) return [];
    // The answer's order is the `index` field's, not necessarily the array's.
    return [...body.data].sort((a, b) => (a.index ?? 0) - (b.index ?? 0)).map((d) => d.embedding ?? []);
  }
}
