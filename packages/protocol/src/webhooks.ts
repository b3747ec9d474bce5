import { z } from "zod";
import { storableText } from "./text.js";

/** A `secret://name` or `vault://path#key` reference; resolved at each delivery, never stored resolved. */
export const SecretReference = z
  .string()
  .max(1024, "must be at most 1024 characters")
  .regex(/^(secret|vault):\/\/\S+$/, "must be a secret reference: secret://name or vault://path#key");

const headerName = z
  .string()
  .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}$/, "must be an HTTP header name")
  .transform((name) => name.toLowerCase());

/**
 * How a delivery proves it came from its sender. `github`: X-Hub-Signature-256 (no timestamp, so the
 * delivery id X-GitHub-Delivery guards against replays); `stripe`: Stripe-Signature `t=..,v1=..`;
 * `slack`: X-Slack-Signature `v0=..` over `v0:{timestamp}:{body}`; `hmac`: a hex HMAC-SHA256 of the
 * body (optionally `{timestamp}.{body}`) in a header of your choice; `jwt`: a signed token in the
 * Authorization header (HS256 with a shared secret, or RS/ES/EdDSA with a PEM public key), whose
 * `jti` is remembered.
 */
export const WebhookScheme = z.enum(["github", "stripe", "slack", "hmac", "jwt"]);
export type WebhookScheme = z.infer<typeof WebhookScheme>;

export const WebhookVerification = z.strictObject({
  scheme: WebhookScheme,
  secret: SecretReference.describe("The signing secret (or, for jwt, the HS256 secret or a PEM public key)"),
  header: headerName
    .nullish()
    .describe(
      "hmac: the signature header (default x-signature); jwt: the token header (default authorization)",
    ),
  timestamp_header: headerName
    .nullish()
    .describe("hmac only: a header with the Unix timestamp; when set, `{timestamp}.{body}` is signed"),
  tolerance_seconds: z
    .int("must be a whole number of seconds")
    .min(1, "must be at least 1")
    .max(86_400, "must be at most 86400")
    .nullish()
    .transform((v) => v ?? 300),
});
export type WebhookVerification = z.output<typeof WebhookVerification>;

/** `a.b.0.c` into a JSON payload; equal when the value found is deeply equal to `equals`. */
export const PayloadFilter = z.strictObject({
  path: storableText(256, 1)
    .regex(/^(\$\.)?[^.\s]+(\.[^.\s]+)*$/, "must be a dotted JSON path like action or $.repository.name")
    .describe("Dotted path into the JSON payload ($. prefix optional)"),
  equals: z.json().describe("The value the path must hold for the delivery to trigger the agent"),
});
export type PayloadFilter = z.infer<typeof PayloadFilter>;

export const PayloadFilters = z.array(PayloadFilter).max(32, "must have at most 32 filters");
