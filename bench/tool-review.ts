/**
 * The tool analyzer on the labelled evaluation set (bench/tool-review/): precision, recall and the
 * false-positive rate on real benign tools, per attack class, and analysis latency per tool next
 * to a baseline (hashing the canonical definition, the least any review does) in the same process.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { analyzeTool, FLAG_THRESHOLD } from "../packages/runtime/src/tool-review/analyzer/analyzer.js";
import { definitionHash } from "../packages/runtime/src/tool-review/canonical-json.js";
import { log, ROOT } from "./processes.js";
import { type LabelledTool, POISONED } from "./tool-review/poisoned.js";
import { POISONED_HOLDOUT } from "./tool-review/poisoned-holdout.js";

function loadBenign(): LabelledTool[] {
  const dir = path.join(ROOT, "bench/tool-review");
  return ["benign-npm.json", "benign-public.json", "benign-public-2.json"].flatMap(
    (file) => JSON.parse(readFileSync(path.join(dir, file), "utf8")) as LabelledTool[],
  );
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)] as number;
}

function timeEach(tools: LabelledTool[], rounds: number, work: (tool: LabelledTool) => void): number[] {
  const samples: number[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const tool of tools) {
      const start = process.hrtime.bigint();
      work(tool);
      samples.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
  }
  return samples.sort((a, b) => a - b);
}

const round3 = (n: number) => Number(n.toFixed(3));

/**
 * Inputs built to make regular expressions backtrack: 64 KiB runs of one character or one word,
 * in the description, a parameter description and a default at once.
 */
function adversarialTools(): LabelledTool[] {
  const n = 65_000;
  const texts: Record<string, string> = {
    spaces: " ".repeat(n),
    newlines: "\n".repeat(n),
    dotted: "a.".repeat(n / 2),
    letters: "a".repeat(n),
    verbs: "send ".repeat(n / 5),
    use: "use ".repeat(n / 4),
    tags: "< system ".repeat(n / 9),
    comments: "<!--".repeat(n / 4),
    hashes: "#".repeat(n),
    digits: "1 ".repeat(n / 2),
    emails: "a@".repeat(n / 2),
  };
  return Object.entries(texts).map(([name, text]) => ({
    source: "adversarial",
    name,
    description: text,
    schema: { type: "object", properties: { a: { type: "string", description: text, default: text } } },
  }));
}

export function runToolReviewEvaluation(rounds: number) {
  const benign = loadBenign();
  const flagged = (tool: LabelledTool) => analyzeTool(tool).riskScore >= FLAG_THRESHOLD;
  const falsePositives = benign.filter(flagged);
  const truePositives = POISONED.filter(flagged);
  const missed = POISONED.filter((t) => !flagged(t));
  const tp = truePositives.length;
  const fp = falsePositives.length;
  const fn = missed.length;
  const byClass: Record<string, { total: number; caught: number }> = {};
  for (const tool of POISONED) {
    const attack = tool.attack ?? "other";
    const entry = byClass[attack] ?? { total: 0, caught: 0 };
    byClass[attack] = entry;
    entry.total++;
    if (flagged(tool)) entry.caught++;
  }
  const holdoutMissed = POISONED_HOLDOUT.filter((t) => !flagged(t));
  log(
    `tool review: ${benign.length} benign, ${POISONED.length} poisoned; ${fp} false positives, ${fn} missed`,
  );

  // Warm up both, then alternate rounds so machine load hits them alike.
  const all = [...benign, ...POISONED];
  timeEach(all, 3, (t) => analyzeTool(t));
  timeEach(all, 3, (t) => definitionHash(t));
  const analysis = timeEach(all, rounds, (t) => analyzeTool(t));
  const adversarial = timeEach(adversarialTools(), 1, (t) => analyzeTool(t));
  const baseline = timeEach(all, rounds, (t) => definitionHash(t));
  return [
    {
      name: "tool_review_evaluation",
      target: "recall >= 0.90, false_positive_rate <= 0.05",
      flag_threshold: FLAG_THRESHOLD,
      benign_tools: benign.length,
      poisoned_tools: POISONED.length,
      precision: round3(tp / Math.max(1, tp + fp)),
      recall: round3(tp / Math.max(1, tp + fn)),
      false_positive_rate: round3(fp / Math.max(1, benign.length)),
      recall_by_attack_class: Object.fromEntries(
        Object.entries(byClass).map(([k, v]) => [k, `${v.caught}/${v.total}`]),
      ),
      false_positives: falsePositives.map((t) => `${t.source}: ${t.name} (${analyzeTool(t).riskScore})`),
      missed: missed.map((t) => `${t.attack}: ${t.name} (${analyzeTool(t).riskScore})`),
      holdout: {
        note: "written after the rules were frozen, not used for tuning",
        poisoned_tools: POISONED_HOLDOUT.length,
        recall: round3((POISONED_HOLDOUT.length - holdoutMissed.length) / POISONED_HOLDOUT.length),
        missed: holdoutMissed.map((t) => `${t.attack}: ${t.name} (${analyzeTool(t).riskScore})`),
      },
    },
    {
      name: "tool_analysis_latency",
      unit: "ms per tool",
      tools: all.length,
      rounds,
      analyzer: {
        p50: round3(percentile(analysis, 50)),
        p95: round3(percentile(analysis, 95)),
        max: round3(analysis.at(-1) ?? 0),
      },
      baseline_canonical_hash: {
        p50: round3(percentile(baseline, 50)),
        p95: round3(percentile(baseline, 95)),
      },
      adversarial_64kib: {
        note: "one definition with 64 KiB of repeated characters in three places; worst of the shapes tried",
        max_ms: round3(adversarial.at(-1) ?? 0),
      },
    },
  ];
}
