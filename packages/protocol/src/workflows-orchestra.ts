import type { WorkflowDefinitionCreateRequest, WorkflowStepInput } from "./workflows.js";

/** The voices of the orchestra pattern: same question, different stances, then one synthesis. */
export const ORCHESTRA_VOICES = [
  {
    id: "orchestra-optimist",
    system_prompt:
      "You look for what could go right. Answer the question with the strongest case for the most promising option, in at most 150 words.",
  },
  {
    id: "orchestra-skeptic",
    system_prompt:
      "You look for what could go wrong. Answer the question by naming the biggest risks and weak assumptions, in at most 150 words.",
  },
  {
    id: "orchestra-pragmatist",
    system_prompt:
      "You care about what can be done next week with the means at hand. Answer the question with concrete steps and their cost, in at most 150 words.",
  },
] as const;

export const ORCHESTRA_SYNTHESISER = {
  id: "orchestra-synthesiser",
  system_prompt:
    "You merge several perspectives into one balanced answer. Keep what they agree on, weigh where they differ, and say plainly which disagreements remain.",
} as const;

export interface OrchestraOptions {
  /** The definition's name. */
  name?: string;
  /** Agents that reflect on the question in parallel (at least two). */
  reflectors?: readonly string[];
  /** The agent that merges their answers. */
  synthesiser?: string;
}

/**
 * The "orchestra" pattern as a workflow definition: every reflector answers the same question in
 * parallel, a disagreement step measures how far apart their answers are (1 − mean pairwise cosine
 * similarity of their embeddings), and the synthesiser merges them knowing that figure. The result
 * holds the answer, the disagreement index and each reflection.
 */
export function orchestraWorkflow(options: OrchestraOptions = {}): WorkflowDefinitionCreateRequest {
  const reflectors = options.reflectors ?? ORCHESTRA_VOICES.map((voice) => voice.id);
  if (reflectors.length < 2) throw new Error("the orchestra needs at least two reflecting agents");
  const synthesiser = options.synthesiser ?? ORCHESTRA_SYNTHESISER.id;
  const ids = reflectors.map((_, i) => `reflect_${i + 1}`);
  const reflections: WorkflowStepInput[] = reflectors.map((agent, i) => ({
    id: ids[i] as string,
    type: "agent",
    agent_id: agent,
    input: "{{ params.question }}",
    retry: { max_attempts: 3, backoff_ms: 1_000, backoff_multiplier: 2 },
  }));
  const perspectives = ids
    .map((id, i) => `Perspective ${i + 1} (${reflectors[i]}):\n{{ steps.${id}.output }}`)
    .join("\n\n");
  return {
    name: options.name ?? "orchestra",
    description:
      "Several agents reflect on the same question in parallel; a synthesiser merges their answers; the result reports their disagreement index (1 - mean pairwise cosine similarity).",
    parameters: {
      question: { type: "string", required: true, description: "What the orchestra reflects on" },
    },
    steps: [
      ...reflections,
      {
        id: "disagreement",
        type: "disagreement",
        texts: ids.map((id) => `{{ steps.${id}.output }}`),
      },
      {
        id: "synthesis",
        type: "agent",
        agent_id: synthesiser,
        input: `Question: {{ params.question }}\n\n${perspectives}\n\nTheir disagreement index is {{ steps.disagreement.output.index }} (0 = they say the same, 1 = nothing in common). Merge them into one answer.`,
        retry: { max_attempts: 3, backoff_ms: 1_000, backoff_multiplier: 2 },
      },
    ],
    output: {
      answer: "{{ steps.synthesis.output }}",
      disagreement_index: "{{ steps.disagreement.output.index }}",
      reflections: Object.fromEntries(reflectors.map((agent, i) => [agent, `{{ steps.${ids[i]}.output }}`])),
    },
  };
}
