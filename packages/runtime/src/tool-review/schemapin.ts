import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify,
} from "node:crypto";
import { canonicalJson } from "./canonical-json.js";

export const SIGNATURE_ALGORITHM = "ECDSA-P256-SHA256";

/** The document SchemaPin signs for a tool: its name, description and parameters schema. */
export function signedDocument(tool: {
  name: string;
  description: string;
  schema: Record<string, unknown>;
}): string {
  return canonicalJson({ name: tool.name, description: tool.description, parameters: tool.schema });
}

/** SchemaPin's key fingerprint: `sha256:` and the hex SHA-256 of the DER SubjectPublicKeyInfo. */
export function fingerprint(publicKey: KeyObject): string {
  return `sha256:${createHash("sha256")
    .update(publicKey.export({ type: "spki", format: "der" }))
    .digest("hex")}`;
}

export function generateSigningKey(): { privatePem: string; publicPem: string; keyId: string } {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return {
    privatePem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    publicPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
    keyId: fingerprint(publicKey),
  };
}

/** ECDSA P-256 over SHA-256 of the UTF-8 canonical JSON; the signature is DER, base64. */
export function signDocument(document: string, privatePem: string): string {
  return sign("sha256", Buffer.from(document, "utf8"), createPrivateKey(privatePem)).toString("base64");
}

/** Parses a PEM public key and insists on P-256: other curves or RSA keys are not SchemaPin keys. */
export function parsePublicKey(pem: string): KeyObject {
  const key = createPublicKey(pem);
  if (key.asymmetricKeyType !== "ec" || key.asymmetricKeyDetails?.namedCurve !== "prime256v1")
    throw new Error("not an ECDSA P-256 public key");
  return key;
}

export function verifyDocument(document: string, signatureBase64: string, publicKey: KeyObject): boolean {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(signatureBase64) || signatureBase64.length > 200) return false;
  try {
    return verify("sha256", Buffer.from(document, "utf8"), publicKey, Buffer.from(signatureBase64, "base64"));
  } catch {
    return false;
  }
}
