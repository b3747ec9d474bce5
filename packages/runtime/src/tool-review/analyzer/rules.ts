import type { FindingCategory, FindingSeverity } from "@symbiont/protocol";
import { type TextLocation, type ToolUnderReview, topLevelProperties } from "./text-locations.js";

export interface RuleMatch {
  location: string;
  evidence: string;
}

/** One rule of the analyzer; every rule is documented in docs/tool-review.md under its id. */
export interface Rule {
  id: string;
  title: string;
  category: FindingCategory;
  severity: FindingSeverity;
  confidence: number;
  description: string;
  recommendation: string;
  check(tool: ToolUnderReview, texts: readonly PreparedText[]): RuleMatch[];
}

export interface PreparedText extends TextLocation {
  /** NFKC-normalised, invisible characters removed, lower case, whitespace collapsed. */
  plain: string;
}

// Zero-width, bidi controls, word joiners, BOM, soft hyphen, Unicode tag characters.
const INVISIBLE =
  /[\u00ad\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\u3164\ufeff\uffa0\u{e0000}-\u{e007f}]|\u034f/gu;

export function prepare(texts: readonly TextLocation[]): PreparedText[] {
  return texts.map((t) => ({
    ...t,
    plain: t.text.normalize("NFKC").replace(INVISIBLE, "").toLowerCase().replace(/\s+/g, " "),
  }));
}

/** The matched text with a little context, hidden characters made visible, at most 160 characters. */
export function evidenceOf(text: string, index: number, length: number): string {
  const start = Math.max(0, index - 40);
  const slice = text.slice(start, Math.min(text.length, index + length + 60));
  const visible = slice.replace(
    INVISIBLE,
    (c) => `<U+${c.codePointAt(0)?.toString(16).toUpperCase().padStart(4, "0")}>`,
  );
  return (start > 0 ? "…" : "") + (visible.length > 160 ? `${visible.slice(0, 159)}…` : visible);
}

/** Runs the patterns over the texts of the kinds given; one match per location is enough. */
function scan(
  texts: readonly PreparedText[],
  patterns: readonly RegExp[],
  kinds: ReadonlySet<TextLocation["kind"]> = PROSE,
): RuleMatch[] {
  const out: RuleMatch[] = [];
  for (const t of texts) {
    if (!kinds.has(t.kind)) continue;
    for (const pattern of patterns) {
      const m = pattern.exec(t.plain);
      if (m) {
        out.push({ location: t.location, evidence: evidenceOf(t.plain, m.index, m[0].length) });
        break;
      }
    }
  }
  return out;
}

const PROSE: ReadonlySet<TextLocation["kind"]> = new Set(["description", "property_description", "value"]);

const USER = "(?:the )?(?:user|human|person|operator|client|customer)s?";
const TELL = "(?:tell|inform|notify|mention|reveal|show|alert|disclose|explain|let)";

/** Places an attacker wants read: keys, credentials, configuration of agents and tools. */
const SENSITIVE_PATH = String.raw`(?:~|\$home|%userprofile%|/home/[a-z0-9_-]+|/root|/users/[a-z0-9_-]+)?/?\.ssh\b|\bid_(?:rsa|ed25519|ecdsa|dsa)\b|(?:^|[\s'"\x60/(])\.env\b|\.aws/credentials|\.aws/config|/etc/(?:passwd|shadow|sudoers)|\.npmrc|\.pypirc|\.netrc|\.git-credentials|\.docker/config\.json|\.kube/config|mcp\.json|claude_desktop_config|\.cursor/|\.config/gcloud|credentials\.json|\bprivate[ _-]?keys?\b|\bwallet\.dat\b|\bkeychain\b|\bseed phrase\b|\bmnemonic\b|\.bash_history|\.zsh_history`;

const READ_VERB = String.raw`\b(?:read|cat|open|load|fetch|get|grab|collect|extract|retrieve|access|include|attach|pass|send|provide|upload|copy|append|embed|supply|put)\b`;

export const RULES: readonly Rule[] = [
  {
    id: "TR001",
    title: "Hidden instruction block",
    category: "schema_injection",
    severity: "critical",
    confidence: 0.9,
    description:
      "Markup that addresses the model rather than describing the tool: <IMPORTANT>, <system>, <instructions> or similar tags, chat-template tokens, or HTML comments.",
    recommendation:
      "Reject: descriptions should describe the tool, not carry tagged instructions for the model.",
    check: (_tool, texts) =>
      scan(texts, [
        /<\s*\/?\s*(?:important|system|instructions?|secret|hidden|admin|critical|prompt|note to (?:the )?(?:ai|assistant|model)|assistant|sys|override|context)\b[^<>]{0,200}>/,
        /<\|(?:im_start|im_end|system|endoftext|start_header_id)\|?>|\[\/?inst\]|<<\/?sys>>/,
        /<!--/,
        /\{\{\s*(?:system|secret|instructions?)\b/,
      ]),
  },
  {
    id: "TR002",
    title: "Fake system or role message",
    category: "schema_injection",
    severity: "critical",
    confidence: 0.85,
    description:
      'Text posing as a message from the system, the developer or another role ("SYSTEM:", "### Instruction", "Assistant:"), meant to be taken as authoritative.',
    recommendation: "Reject: tool text must not impersonate the system prompt or another conversation role.",
    check: (_tool, texts) =>
      scan(texts, [
        /(?:^|[\s[(])(?:system|developer|assistant|human|admin)\s*(?:message|prompt|note|override|instruction)?\s*:\s*(?:you|the|always|never|ignore|from now|do|must|before|when|important)/,
        /(?:^|\s)#{2,6}\s?(?:system|instructions?|new instructions?)\b/,
        /\[(?:system|admin|developer)(?: message| note)?\]/,
        /\bmessage from (?:the )?(?:system|developer|administrator|anthropic|openai)\b/,
      ]),
  },
  {
    id: "TR003",
    title: "Instruction override",
    category: "schema_injection",
    severity: "critical",
    confidence: 0.9,
    description:
      'Attempts to cancel or replace the model\'s instructions: "ignore previous instructions", "you are now", "forget your rules", "new instructions".',
    recommendation: "Reject: a tool never needs the model to drop its instructions.",
    check: (_tool, texts) =>
      scan(texts, [
        /\b(?:ignore|disregard|forget|override|bypass|skip)\b.{0,30}\b(?:all |any )?(?:previous|prior|above|earlier|preceding|other|existing|your|system|safety|security)\b.{0,20}\b(?:instructions?|rules|prompts?|guidelines|directives|policies|constraints|guardrails|restrictions)\b/,
        /\byou are now\b|\bfrom now on,? you\b|\bnew (?:system )?instructions?\s*:|\bact as (?:an? )?(?:unrestricted|jailbroken|dan)\b/,
        /\b(?:these|this tool'?s?) instructions? (?:take|takes|have|has) (?:precedence|priority)\b|\bhighest priority\b.{0,40}\binstruction/,
      ]),
  },
  {
    id: "TR004",
    title: "Concealment from the user",
    category: "schema_injection",
    severity: "critical",
    confidence: 0.9,
    description:
      'Asks the model to hide what it does: "do not tell the user", "without informing the user", "silently", "keep this secret".',
    recommendation: "Reject: legitimate tools have nothing to hide from the user.",
    check: (_tool, texts) =>
      scan(texts, [
        new RegExp(
          String.raw`\b(?:do not|don'?t|never|must not|mustn'?t|should not|shouldn'?t|avoid|refrain from|no need to)\b.{0,25}\b${TELL}\b.{0,30}\b${USER}\b`,
        ),
        new RegExp(
          String.raw`\bwithout\b.{0,15}\b(?:${TELL}|asking|the knowledge of|consent of|alerting|bothering)(?:ing)?\b.{0,15}\b${USER}\b`,
        ),
        new RegExp(
          String.raw`\b${USER}\b.{0,20}\b(?:must|should|need) not\b.{0,20}\b(?:know|see|notice|be (?:told|informed|aware|notified)|find out)\b`,
        ),
        /\b(?:silently|secretly|covertly|quietly|invisibly|stealthily)\b.{0,40}\b(?:send|read|include|call|add|copy|forward|upload|pass|execute|run|collect|log|save|write|transmit|append|use)\b/,
        /\b(?:send|read|include|call|add|copy|forward|upload|pass|execute|run|collect|log|transmit|append)\b.{0,60}\b(?:silently|secretly|covertly|without (?:notice|a trace|them knowing))\b/,
        /\bkeep (?:this|it|these|that)\b.{0,15}\b(?:secret|hidden|confidential|between us)\b|\b(?:hide|conceal|omit)\b.{0,30}\b(?:from the (?:user|human)|in (?:your|the) (?:response|answer|output|summary))\b/,
        /\b(?:do not|don'?t|never)\b.{0,20}\b(?:mention|reveal|disclose|acknowledge|show|display|print|output)\b.{0,40}\b(?:this|these|that|the) (?:instructions?|step|note|requirement|tool|file|parameter|field|contents?)\b/,
      ]),
  },
  {
    id: "TR005",
    title: "Request for sensitive files or credentials",
    category: "data_exposure",
    severity: "critical",
    confidence: 0.85,
    description:
      "Tells the model to read, include or pass along keys and credentials: ~/.ssh, id_rsa, .env, ~/.aws/credentials, /etc/passwd, agent configuration files (mcp.json), private keys, browser or wallet data.",
    recommendation: "Reject: no tool needs the model to hand over secrets it can reach.",
    check: (_tool, texts) => {
      const near = new RegExp(
        `${READ_VERB}.{0,80}(?:${SENSITIVE_PATH})|(?:${SENSITIVE_PATH}).{0,80}${READ_VERB}`,
      );
      const secretAsk = new RegExp(
        String.raw`${READ_VERB}.{0,40}\b(?:api[ _-]?keys?|access tokens?|passwords?|credentials|secrets?|session cookies?|auth(?:entication)? tokens?|ssh keys?|environment variables)\b.{0,60}\b(?:and|then|to|into|in|as)\b.{0,30}\b(?:parameter|argument|field|notes?|sidenote|context|metadata|request|this tool|the tool|url|message|body)\b`,
      );
      return scan(texts, [near, secretAsk]);
    },
  },
  {
    id: "TR006",
    title: "Reference to sensitive files",
    category: "data_exposure",
    severity: "high",
    confidence: 0.6,
    description:
      "Mentions a secret-bearing location (SSH keys, .env, cloud credentials, agent configuration) without an explicit instruction to read it; suspicious in a tool definition.",
    recommendation:
      "Check why the tool names this location; approve only if it is the tool's disclosed purpose.",
    check: (_tool, texts) => scan(texts, [new RegExp(SENSITIVE_PATH)]),
  },
  {
    id: "TR007",
    title: "Exfiltration channel",
    category: "data_exposure",
    severity: "critical",
    confidence: 0.85,
    description:
      "Asks the model to send, forward, copy or post data to a URL, e-mail address, phone number or webhook, typically hidden inside the description or a parameter.",
    recommendation: "Reject unless sending data to that destination is the tool's disclosed purpose.",
    check: (_tool, texts) => {
      const dest = String.raw`(?:https?://\S{1,200}|\b[\w.+-]{1,64}@[\w-]{1,63}\.[\w.-]{1,100}\b|\bwebhook\b|\b(?:\+?\d[\d -]{7,20}\d)\b|\bngrok\b|\bpastebin\b|\brequestbin\b|\bpipedream\b|\bburpcollaborator\b|\binteract\.sh\b)`;
      return scan(texts, [
        new RegExp(
          String.raw`\b(?:send|forward|post|upload|transmit|exfiltrate|copy|copie|mirror|report|cc|bcc|relay|leak|beacon|ping)(?:s|ed|ing)?\b.{0,80}${dest}`,
        ),
        /\b(?:all|every|each|any)\b.{0,30}\b(?:emails?|messages?|data|results?|outputs?|files?|conversations?|requests?|notes?|attachments?|documents?|contents?|copies)\b.{0,40}\b(?:must|should|shall|will) (?:also )?be (?:sent|forwarded|redirected|copied|posted|routed)\b/,
        /\b(?:change|set|replace|redirect|override)\b.{0,30}\b(?:recipient|destination|to address|receiver|target address|account number|iban|wallet address)\b/,
      ]);
    },
  },
  {
    id: "TR008",
    title: "Side-channel parameter",
    category: "data_exposure",
    severity: "high",
    confidence: 0.75,
    description:
      "A parameter that asks the model for material the tool has no need of: the conversation, the system prompt, earlier messages, other tools' output, file contents or credentials.",
    recommendation: "Remove the parameter or reject the tool.",
    check: (tool, texts) => {
      const out: RuleMatch[] = [];
      const suspiciousName =
        /^(?:conversation|chat|message)_?(?:history|log|context|so_far)$|^(?:system_?prompt|previous_?messages|full_?context|all_?messages|user_?secrets?|sidenote|side_?note|hidden_?notes?|internal_?notes?|exfil\w*|leak\w*|debug_?dump|env_?vars?|environment)$/;
      for (const [name] of topLevelProperties(tool.schema)) {
        if (suspiciousName.test(name.toLowerCase()))
          out.push({ location: `schema.properties.${name}`, evidence: name });
      }
      const ask =
        /\b(?:include|pass|put|provide|insert|fill|add|paste|copy|attach|give|append|dump|supply|set)\b.{0,40}\b(?:the |your )?(?:entire |full |complete |whole |all (?:of )?(?:the )?)?(?:conversation|chat history|message history|(?:previous|prior|earlier|recent|last)\b.{0,15}\bmessages|user'?s? messages|system prompt|your instructions|instructions you (?:were|have been) given|context window|other tools?'? (?:output|results?)|contents? of (?:the |any |all )?(?:files?|~|\/|\.|environment)|environment variables|api keys?|credentials|passwords?|tokens?|secrets?)\b/;
      for (const t of texts) {
        if (t.kind === "name" || t.kind === "property_name") continue;
        const m = ask.exec(t.plain);
        if (m && !out.some((o) => t.location.startsWith(o.location)))
          out.push({ location: t.location, evidence: evidenceOf(t.plain, m.index, m[0].length) });
      }
      return out;
    },
  },
  {
    id: "TR009",
    title: "Shadowing or overriding other tools",
    category: "privilege_escalation",
    severity: "high",
    confidence: 0.8,
    description:
      'Tries to change how the model uses other tools: "when using the send_email tool…", "instead of calling…", "this tool must be called before any other tool", "replaces the … tool".',
    recommendation: "Reject: a tool's definition should only govern that tool.",
    check: (_tool, texts) =>
      scan(texts, [
        /\b(?:when|whenever|if|before|after)\b.{0,20}\b(?:you |the (?:assistant|model|agent|ai) )?(?:use|uses|call|calls|invoke|invokes|run|runs|using|calling|invoking)\b.{0,30}\b(?:any |another |other |the [\w.-]+ |`[\w.-]+` |[\w]+_[\w_]+ )tools?\b/,
        /\b(?:instead of|rather than|in place of)\b.{0,15}\b(?:using|calling|invoking|the)\b.{0,30}\btools?\b/,
        /\b(?:must|should|always|first)\b.{0,25}\b(?:be )?(?:call|calls|called|use|used|invoke|invoked|run)\b.{0,20}\b(?:before|prior to|instead of)\b.{0,20}\b(?:any|all|every|other|the)\b/,
        /\b(?:replaces?|overrides?|supersedes?|takes precedence over|shadows?|hijack)\b.{0,30}\b(?:the |any |all |other )?[\w`.-]{0,64}\s?tools?\b/,
        // Steering away from another tool; "do not use this tool, use X instead" is honest advice.
        /\b(?:do not|don'?t|never)\b.{0,10}\b(?:use|call|invoke)\s(?!this\b)(?:the |any |other )?[\w`'.-]{1,64}\s?tools?\b/,
        /\b(?:side effect|side-effect)\b.{0,40}\b(?:other|all|every|any)\b.{0,20}\btools?\b/,
      ]),
  },
  {
    id: "TR010",
    title: "Hidden or invisible characters",
    category: "schema_injection",
    severity: "critical",
    confidence: 0.85,
    description:
      "Zero-width characters, bidirectional controls, Unicode tag characters or other invisible code points: text a reviewer cannot see but a model reads.",
    recommendation: "Reject, or strip the characters and review again.",
    check: (_tool, texts) => {
      const out: RuleMatch[] = [];
      for (const t of texts) {
        INVISIBLE.lastIndex = 0;
        const m = INVISIBLE.exec(t.text);
        if (m) out.push({ location: t.location, evidence: evidenceOf(t.text, m.index, m[0].length) });
      }
      INVISIBLE.lastIndex = 0;
      return out;
    },
  },
  {
    id: "TR011",
    title: "Confusable characters in a name",
    category: "schema_injection",
    severity: "high",
    confidence: 0.8,
    description:
      "A tool or parameter name mixes Latin letters with look-alikes from other scripts (Cyrillic а, Greek ο), or uses full-width forms: built to impersonate another tool.",
    recommendation: "Reject: names should be plain ASCII identifiers.",
    check: (_tool, texts) => {
      const out: RuleMatch[] = [];
      for (const t of texts) {
        if (t.kind !== "name" && t.kind !== "property_name") continue;
        const mixed =
          /[A-Za-z]/.test(t.text) &&
          /[\u0370-\u03ff\u0400-\u04ff\u0500-\u052f\uff01-\uff5e\u1d00-\u1d7f]/.test(t.text);
        const changedByNfkc = t.text.normalize("NFKC") !== t.text;
        if (mixed || changedByNfkc)
          out.push({ location: t.location, evidence: evidenceOf(t.text, 0, t.text.length) });
      }
      return out;
    },
  },
  {
    id: "TR012",
    title: "Embedded credential",
    category: "data_exposure",
    severity: "critical",
    confidence: 0.9,
    description:
      "A key, token or password inside the definition (defaults, examples, enums, descriptions): AWS keys, GitHub and Slack tokens, OpenAI and Anthropic keys, JWTs, PEM private keys, passwords in URLs.",
    recommendation: "Reject, and rotate the credential: it is disclosed to everyone who sees the tool.",
    check: (_tool, texts) => {
      const patterns = [
        /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/,
        /\bgh[pousr]_[A-Za-z0-9]{30,}\b|\bgithub_pat_[A-Za-z0-9_]{40,}\b/,
        /\bxox[abprs]-[A-Za-z0-9-]{10,}\b/,
        /\bsk-(?:ant-|proj-)?[A-Za-z0-9_-]{20,}\b/,
        /\bAIza[0-9A-Za-z_-]{35}\b/,
        /\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/,
        /-----BEGIN (?:RSA |EC |OPENSSH |DSA |PGP )?PRIVATE KEY/,
        /\b[a-z][a-z0-9+.-]{0,30}:\/\/[^\s:/@]{1,256}:[^\s@/]{3,256}@/i,
        /\b(?:sk|rk)_live_[A-Za-z0-9]{16,}\b/,
      ];
      const out: RuleMatch[] = [];
      for (const t of texts) {
        for (const p of patterns) {
          const m = p.exec(t.text);
          if (m) {
            out.push({ location: t.location, evidence: `${m[0].slice(0, 6)}… (${m[0].length} characters)` });
            break;
          }
        }
      }
      // A default or const on a secret-named parameter is a credential however it looks.
      const secretName =
        /(?:^|_|-)(?:password|passwd|secret|api_?key|token|access_?key|private_?key|client_?secret)(?:$|_|-)/i;
      for (const t of texts) {
        const m = /^(schema(?:\.properties\.[^.]+)+)\.(?:default|const)$/.exec(t.location);
        const prop = m?.[1]?.split(".").pop() ?? "";
        if (
          m &&
          t.kind === "value" &&
          secretName.test(prop) &&
          t.text.length >= 6 &&
          !/^\$\{|^<|^your|^xxx/i.test(t.text)
        )
          out.push({
            location: t.location,
            evidence: `${prop} = ${t.text.slice(0, 3)}… (${t.text.length} characters)`,
          });
      }
      return out;
    },
  },
  {
    id: "TR013",
    title: "Code or command in the definition",
    category: "malicious_code",
    severity: "high",
    confidence: 0.75,
    description:
      "Shell pipelines, download-and-run commands, destructive commands, encoded payloads or code-evaluation calls inside descriptions or values.",
    recommendation: "Reject unless the text is clearly documentation of the tool's own input format.",
    check: (_tool, texts) =>
      scan(texts, [
        /\b(?:curl|wget)\b[^|;]{0,200}\|\s?(?:ba|z)?sh\b|\bpowershell\b.{0,40}\b(?:-enc|iex|invoke-expression|downloadstring)\b/,
        /\brm\s+-rf\s+(?:\/|~|\$home|\*)|\bmkfs\b|\bdd\s+if=\/dev\/(?:zero|random)|:\(\)\s*\{\s*:\|:&\s*\};:/,
        /\b(?:eval|exec)\s*\(\s*(?:atob|base64|require|__import__|compile|decode)|\bos\.system\s*\(|\bsubprocess\.(?:run|popen|call)\b|\bchild_process\b|\bnew function\s*\(/,
        /\b(?:nc|ncat|netcat)\s+-[a-z]*e\b|\/dev\/tcp\//,
        /\b(?:base64|b64)\b.{0,20}\b(?:decode|-d)\b.{0,40}\b(?:execute|run|eval|sh|bash)\b/,
      ]),
  },
  {
    id: "TR014",
    title: "Encoded or obfuscated payload",
    category: "malicious_code",
    severity: "high",
    confidence: 0.65,
    description:
      "Long base64, hex or escape-encoded blobs in descriptions: instructions hidden from a human reviewer but decodable by a model.",
    recommendation: "Decode and inspect; reject if it carries instructions.",
    check: (_tool, texts) => {
      const out: RuleMatch[] = [];
      for (const t of texts) {
        if (t.kind !== "description" && t.kind !== "property_description") continue;
        const m =
          /(?:^|[^A-Za-z0-9+/=_-])([A-Za-z0-9+/]{60,}={0,2})(?:$|[^A-Za-z0-9+/=])/.exec(t.text) ??
          /(?:\\x[0-9a-f]{2}){12,}|(?:\\u[0-9a-f]{4}){8,}|(?:%[0-9a-f]{2}){16,}/i.exec(t.text);
        if (m && /[A-Z]/.test(m[0]) && /[a-z]/.test(m[0]) && /\d/.test(m[0]))
          out.push({
            location: t.location,
            evidence: evidenceOf(t.text, m.index, Math.min(40, m[0].length)),
          });
        else if (m && /\\x|\\u|%/.test(m[0]))
          out.push({
            location: t.location,
            evidence: evidenceOf(t.text, m.index, Math.min(40, m[0].length)),
          });
      }
      return out;
    },
  },
  {
    id: "TR015",
    title: "Privilege escalation or safety bypass",
    category: "privilege_escalation",
    severity: "high",
    confidence: 0.75,
    description:
      "Asks for or grants more power than a tool should take: sudo or root, disabling safety checks, sandboxes or confirmations, granting itself permissions, auto-approving.",
    recommendation: "Reject unless elevated rights are the tool's disclosed, reviewed purpose.",
    check: (_tool, texts) =>
      scan(texts, [
        /\b(?:run|execute|invoke)s?\b.{0,20}\b(?:as root|with sudo|as administrator|with (?:admin|elevated|root) (?:rights|privileges))\b|\bsudo\s+(?:-s|su|bash|sh|rm|chmod|chown)\b/,
        /\b(?:disable|turn off|bypass|skip|circumvent|ignore)s?\b.{0,30}\b(?:safety|security|sandbox|guardrails?|confirmation|approval|permission checks?|content filter|moderation|verification)\b/,
        /\bchmod\s+(?:-r\s+)?[0-7]?777\b|\b(?:grant|give)s?\b.{0,20}\b(?:yourself|itself|this tool|the agent)\b.{0,20}\b(?:admin|root|full|all) (?:access|permissions?|privileges?)\b/,
        /\b(?:auto[- ]?approve|without (?:asking for |requiring )?(?:confirmation|approval))\b/,
      ]),
  },
  {
    id: "TR016",
    title: "Coercive or model-directed language",
    category: "schema_injection",
    severity: "medium",
    confidence: 0.5,
    description:
      'Urgent or coercive wording aimed at the model ("IMPORTANT:", "you must always", "the assistant must", threats of failure): common in poisoned tools, sometimes in sloppy honest ones.',
    recommendation:
      "Read the sentence in question; plain descriptions do not need to order the model around.",
    check: (_tool, texts) =>
      scan(texts, [
        /\b(?:the |you,? the )?(?:assistant|ai|llm|language model|model|agent)\b.{0,10}\b(?:must|should always|is required to|has to|needs to)\b/,
        /\b(?:very important|extremely important|critical|mandatory|required)\s*[:!]\s*(?:you|always|before|do|never|the)\b/,
        /\bor (?:else )?(?:the )?(?:system|tool|application|everything) will (?:crash|fail|break)\b|\botherwise (?:the )?(?:system|tool) will (?:crash|fail|break)\b/,
        /\byou (?:must|have to) (?:always|first|never)\b/,
      ]),
  },
  {
    id: "TR017",
    title: "Resource abuse",
    category: "resource_abuse",
    severity: "high",
    confidence: 0.7,
    description:
      "Asks the model to call tools in loops or many times, retry forever, or spend unbounded effort: denial of service and cost attacks.",
    recommendation: "Reject or require a bounded interface.",
    check: (_tool, texts) =>
      scan(texts, [
        /\b(?:call|invoke|run|repeat|execute)\b.{0,30}\b(?:repeatedly|in a loop|forever|indefinitely|continuously|endlessly|again and again|(?:\d{3,}|hundreds|thousands|many) times)\b/,
        /\b(?:retry|keep trying|try again)\b.{0,20}\b(?:forever|indefinitely|until it succeeds|without (?:stopping|limit))\b/,
        /\bnever stop\b|\binfinite loop\b|\bwhile\s*\(\s*true\s*\)/,
      ]),
  },
  {
    id: "TR018",
    title: "Hidden text after whitespace",
    category: "schema_injection",
    severity: "high",
    confidence: 0.7,
    description:
      "Text pushed out of sight by long runs of blank lines or spaces, or an unusually long description: what a reviewer's screen shows is not all the model reads.",
    recommendation: "Read the whole text; reject if the tail carries instructions.",
    check: (_tool, texts) => {
      const out: RuleMatch[] = [];
      for (const t of texts) {
        if (t.kind !== "description" && t.kind !== "property_description") continue;
        // Runs of whitespace, each matched once (a pattern like [ \t]{80,}\S would retry from every
        // position of a long run and take quadratic time).
        for (const run of t.text.matchAll(/\s+/g)) {
          const end = run.index + run[0].length;
          if (end >= t.text.length) break;
          const lines = run[0].split("\n").length - 1;
          if (lines >= 8 || /[ \t]{80}/.test(run[0])) {
            out.push({ location: t.location, evidence: evidenceOf(t.text.replace(/\s+/g, " "), 0, 60) });
            break;
          }
        }
      }
      return out;
    },
  },
];

/** Dangerous capabilities a schema implies, checked against what the description admits to. */
interface Capability {
  id: string;
  title: string;
  severity: FindingSeverity;
  category: FindingCategory;
  /** Parameter names (whole words in snake/camel case) that imply it. */
  names: RegExp;
  /** Words that disclose it when found in the tool's or the parameter's description. */
  disclosed: RegExp;
}

const CAPABILITIES: readonly Capability[] = [
  {
    id: "TR020",
    title: "Undisclosed shell command execution",
    severity: "high",
    category: "privilege_escalation",
    names:
      /^(?:cmd|command|commands|shell|shell_?command|bash|sh|script|exec|execute|run|cmdline|command_?line|powershell)$/,
    disclosed:
      /\b(?:command|shell|execute|executes|execution|run|runs|terminal|bash|script|process|cli|subprocess|sh)\b/,
  },
  {
    id: "TR021",
    title: "Undisclosed code evaluation",
    severity: "high",
    category: "malicious_code",
    names:
      /^(?:code|source_?code|eval|expression|expr|python|python_?code|js|javascript|program|snippet|lambda|function_?body)$/,
    disclosed:
      /\b(?:code|evaluate|evaluates|eval|execute|executes|run|runs|script|expression|python|javascript|interpreter|program|compute|calculate|calculates|formula|math)\b/,
  },
  {
    id: "TR022",
    title: "Undisclosed file system access",
    severity: "medium",
    category: "data_exposure",
    names:
      /^(?:path|paths|file|files|file_?path|filepath|filename|file_?name|dir|directory|folder|source_?path|target_?path|dest(?:ination)?_?path)$/,
    disclosed:
      /\b(?:file|files|path|paths|directory|directories|folder|folders|disk|filesystem|read|write|document|documents|repository|repo|image|attachment|upload)\b/,
  },
  {
    id: "TR023",
    title: "Undisclosed network access to arbitrary URLs",
    severity: "medium",
    category: "data_exposure",
    names: /^(?:url|urls|uri|endpoint|host|hostname|server|remote|proxy|redirect_?url)$/,
    disclosed:
      /\b(?:url|urls|uri|http|https|web|website|page|fetch|fetches|download|request|requests|link|api|endpoint|webhook|browse|browser|host|server|site|navigate|network|remote)\b/,
  },
  {
    id: "TR024",
    title: "Undisclosed callback or webhook destination",
    severity: "high",
    category: "data_exposure",
    names:
      /^(?:webhook|webhook_?url|callback|callback_?url|notify_?url|report_?url|upload_?url|post_?back_?url|exfil_?url|collector|beacon)$/,
    disclosed:
      /\b(?:webhook|callback|notify|notification|notifies|post|posts|deliver|delivers|send|sends|report|reports)\b/,
  },
];

export const CAPABILITY_RULES: readonly Rule[] = CAPABILITIES.map((capability) => ({
  id: capability.id,
  title: capability.title,
  category: capability.category,
  severity: capability.severity,
  confidence: 0.6,
  description: `The schema has a parameter that implies this capability, and neither the tool's description nor the parameter's mentions it.`,
  recommendation: "Ask the provider to describe the capability, or reject if the tool should not have it.",
  check: (tool) => {
    const out: RuleMatch[] = [];
    const toolText = `${tool.name.replace(/[_-]/g, " ")} ${tool.description}`.toLowerCase();
    for (const [name, schema] of topLevelProperties(tool.schema)) {
      const normalised = name.replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase();
      if (!capability.names.test(normalised)) continue;
      const own =
        `${typeof schema.description === "string" ? schema.description : ""} ${typeof schema.title === "string" ? schema.title : ""}`.toLowerCase();
      if (capability.disclosed.test(toolText) || capability.disclosed.test(own)) continue;
      out.push({ location: `schema.properties.${name}`, evidence: name });
    }
    return out;
  },
}));

/** All rules in the order they run. */
export const ALL_RULES: readonly Rule[] = [...RULES, ...CAPABILITY_RULES];
