import { generateText } from "ai";
import { describeModelError, type ModelProviders } from "../runs/model-providers.js";
import type { MemoryRow } from "./memory-repository.js";

/** Episodes summarised together, at most: one prompt stays well inside small local models' context. */
export const EPISODES_PER_SUMMARY = 20;
/** A summary of fewer episodes than this is not worth a model call (nor a lost source memory). */
export const MIN_EPISODES_PER_SUMMARY = 2;
/** Each episode's text in the prompt is cut to this many characters. */
const EPISODE_CHARS = 2_000;
const SUMMARY_TIMEOUT_MS = 120_000;

/** Turns a run of an agent's episodes into one text of what they teach. */
export interface EpisodeSummarizer {
  /** The configured model name, as reported in consolidation results. */
  readonly model: string;
  summarize(tenantId: string, agentId: string, episodes: readonly string[]): Promise<string>;
}

const INSTRUCTIONS = [
  "You condense an AI agent's episodic memories (things that happened) into semantic memory",
  "(what is durably true or useful to know). Write a few plain sentences: facts, preferences,",
  "decisions and outcomes worth remembering, without dates unless they matter. Do not invent",
  "anything that the episodes do not say. Answer with the summary only.",
].join(" ");

/** Summaries through the runtime's model providers (Ollama, OpenAI-compatible, OpenAI, Anthropic). */
export class ModelEpisodeSummarizer implements EpisodeSummarizer {
  constructor(
    private readonly providers: ModelProviders,
    readonly model: string,
  ) {}

  async summarize(tenantId: string, agentId: string, episodes: readonly string[]): Promise<string> {
    const resolved = await this.providers.resolve(this.model, {
      tenantId,
      agentId,
      runId: `memory-summary:${agentId}`,
    });
    const prompt = episodes
      .map((episode, i) => `Episode ${i + 1}:\n${episode.slice(0, EPISODE_CHARS)}`)
      .join("\n\n");
    try {
      const { text } = await generateText({
        model: resolved.model,
        system: INSTRUCTIONS,
        prompt,
        maxOutputTokens: 512,
        // Consolidation runs again later; a retry here would only hold the request longer.
        maxRetries: 0,
        abortSignal: AbortSignal.timeout(SUMMARY_TIMEOUT_MS),
      });
      return text.trim();
    } catch (error) {
      throw describeModelError(resolved, error);
    }
  }
}

/**
 * The agent's episodic memories created before `before`, oldest first, in runs of up to
 * EPISODES_PER_SUMMARY; a last run too short to summarise waits for more.
 */
export function episodeGroups(rows: readonly MemoryRow[], before: string): MemoryRow[][] {
  const old = rows
    .filter((row) => row.memory_level === "episodic" && row.created_at < before)
    .sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id));
  const groups: MemoryRow[][] = [];
  for (let i = 0; i < old.length; i += EPISODES_PER_SUMMARY) {
    const group = old.slice(i, i + EPISODES_PER_SUMMARY);
    if (group.length >= MIN_EPISODES_PER_SUMMARY) groups.push(group);
  }
  return groups;
}
