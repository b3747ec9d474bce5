import { ConfigError } from "../config/load.js";
import type { Config } from "../config/schema.js";
import { CachingEmbedder, type Embedder } from "./embedder.js";
import { HashingEmbedder } from "./hashing-embedder.js";
import { OllamaEmbedder, OpenAiEmbedder } from "./http-embedders.js";

/** The configured embedder, with a cache of recent texts in front of it. */
export function createEmbedder(config: Config): Embedder {
  if (config.embedder !== "hashing" && !config.embedderModel) {
    throw new ConfigError(
      `embedder ${config.embedder} needs embedderModel (SYMBIONT_EMBEDDER_MODEL), e.g. ${config.embedder === "ollama" ? "nomic-embed-text" : "text-embedding-3-small"}`,
    );
  }
  const http = {
    model: config.embedderModel ?? "",
    apiKey: config.embedderApiKey,
    dimensions: config.embedderDimensions,
    batchSize: config.embedderBatchSize,
    timeoutMs: 30_000,
  };
  switch (config.embedder) {
    case "ollama":
      return new CachingEmbedder(
        new OllamaEmbedder({ ...http, url: config.embedderUrl ?? "http://127.0.0.1:11434" }),
      );
    case "openai":
      return new CachingEmbedder(
        new OpenAiEmbedder({ ...http, url: config.embedderUrl ?? "https://api.openai.com/v1" }),
      );
    default:
      return new CachingEmbedder(new HashingEmbedder(config.embedderDimensions ?? 384));
  }
}
