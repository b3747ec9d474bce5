import { randomUUID } from "node:crypto";
import type { FindingSeverity, SecurityFinding } from "@symbiont/protocol";
import { ALL_RULES, prepare, type Rule } from "./rules.js";
import { type ToolUnderReview, textLocations } from "./text-locations.js";

export interface Analysis {
  riskScore: number;
  findings: SecurityFinding[];
  recommendations: string[];
  analyzer: string;
  durationMs: number;
}

/** How much one finding of a severity weighs, before its confidence. */
const WEIGHT: Record<FindingSeverity, number> = { critical: 1, high: 0.85, medium: 0.35, low: 0.1 };
const RANK: Record<FindingSeverity, number> = { critical: 3, high: 2, medium: 1, low: 0 };

/** At most this many findings per rule: a poisoned enum of 10,000 values needs one finding, not all. */
const MAX_PER_RULE = 5;

export const RULE_ENGINE = "rules/1";

/**
 * The default analyzer: deterministic rules over every text of the definition. The risk score
 * combines findings like independent probabilities (1 - Π(1 - weight × confidence)), so one
 * critical finding alone scores 85-90, one high 51-68 (over the flag threshold of 50), and medium
 * findings add up slowly (two stay under 50); a tool scores 0 only without findings.
 */
export function analyzeTool(tool: ToolUnderReview, rules: readonly Rule[] = ALL_RULES): Analysis {
  const started = performance.now();
  const texts = prepare(textLocations(tool));
  const findings: SecurityFinding[] = [];
  for (const rule of rules) {
    const matches = rule.check(tool, texts).slice(0, MAX_PER_RULE);
    for (const match of matches) {
      findings.push({
        finding_id: randomUUID(),
        severity: rule.severity,
        category: rule.category,
        title: rule.title,
        description: rule.description,
        confidence: rule.confidence,
        recommendation: rule.recommendation,
        rule_id: rule.id,
        location: match.location,
        evidence: match.evidence,
      });
    }
  }
  findings.sort((a, b) => RANK[b.severity] - RANK[a.severity] || b.confidence - a.confidence);
  let safe = 1;
  for (const f of findings) safe *= 1 - WEIGHT[f.severity] * f.confidence;
  const riskScore = Math.max(0, Math.min(100, Math.round((1 - safe) * 100)));
  const recommendations = [...new Set(findings.map((f) => f.recommendation).filter((r): r is string => !!r))];
  return {
    riskScore,
    findings,
    recommendations,
    analyzer: RULE_ENGINE,
    durationMs: performance.now() - started,
  };
}

/** The score from which a tool counts as flagged (the evaluation's positive class). */
export const FLAG_THRESHOLD = 50;
