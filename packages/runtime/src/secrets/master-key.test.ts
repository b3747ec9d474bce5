import { chmodSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../../../../test/support/databases.js";
import { createFileAtomically, MasterKey, MasterKeyError, resolveMasterKey } from "./master-key.js";
import { open, seal, TamperedSecretError } from "./sealed-box.js";

describe("master key", () => {
  it("creates a 256-bit key file with mode 0600 on the first start, atomically, and reuses it", async () => {
    const dir = tempDir();
    const file = join(dir, "master.key");
    const first = await resolveMasterKey({ masterKeyFile: file }, undefined);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, "utf8")).toMatch(/^[0-9a-f]{64}\n$/);
    expect(readdirSync(dir)).toEqual(["master.key"]); // no temp file left behind
    const second = await resolveMasterKey({ masterKeyFile: file }, first.record);
    expect(second.key.encryptionKey.equals(first.key.encryptionKey)).toBe(true);
  });

  it("never replaces a key file another process created first, and leaves no temp file", () => {
    const dir = tempDir();
    const file = join(dir, "master.key");
    expect(createFileAtomically(file, "first\n", 0o600)).toBe(true);
    expect(createFileAtomically(file, "second\n", 0o600)).toBe(false);
    expect(readFileSync(file, "utf8")).toBe("first\n");
    expect(readdirSync(dir)).toEqual(["master.key"]);
  });

  it("refuses a key file other users can read, a damaged one, and a missing one once secrets exist", async () => {
    const dir = tempDir();
    const file = join(dir, "master.key");
    const { record } = await resolveMasterKey({ masterKeyFile: file }, undefined);
    chmodSync(file, 0o644);
    await expect(resolveMasterKey({ masterKeyFile: file }, record)).rejects.toThrow(
      /readable by other users/,
    );
    writeFileSync(file, "garbage", { mode: 0o600 });
    chmodSync(file, 0o600);
    await expect(resolveMasterKey({ masterKeyFile: file }, record)).rejects.toThrow(/is damaged/);
    await expect(resolveMasterKey({ masterKeyFile: join(dir, "gone.key") }, record)).rejects.toThrow(
      /is missing, but this database holds secrets/,
    );
  });

  it("takes a raw hex key or a passphrase (scrypt, salt kept in the record) and fails on the wrong one", async () => {
    const file = join(tempDir(), "unused.key");
    const raw = "0f".repeat(32);
    const fromRaw = await resolveMasterKey({ masterKey: raw, masterKeyFile: file }, undefined);
    expect(fromRaw.record.kdf).toBe("raw");
    await expect(
      resolveMasterKey({ masterKey: "1f".repeat(32), masterKeyFile: file }, fromRaw.record),
    ).rejects.toThrow(MasterKeyError);

    const phrase = await resolveMasterKey(
      { masterKey: "a long enough passphrase", masterKeyFile: file },
      undefined,
    );
    expect(phrase.record).toMatchObject({ kdf: "scrypt" });
    expect(phrase.record.salt).toMatch(/^[0-9a-f]{32}$/);
    const again = await resolveMasterKey(
      { masterKey: "a long enough passphrase", masterKeyFile: file },
      phrase.record,
    );
    expect(again.key.encryptionKey.equals(phrase.key.encryptionKey)).toBe(true);
    await expect(
      resolveMasterKey({ masterKey: "another long passphrase", masterKeyFile: file }, phrase.record),
    ).rejects.toThrow(/key check failed/);
    await expect(resolveMasterKey({ masterKey: "short", masterKeyFile: file }, undefined)).rejects.toThrow(
      /at least 16 characters/,
    );
  });
});

describe("sealed box (AES-256-GCM)", () => {
  const key = MasterKey.fromBytes(Buffer.alloc(32, 7), "test").encryptionKey;

  it("uses a fresh nonce for every value and opens only in the context it was sealed for", () => {
    const a = seal(key, "same value", "ctx");
    const b = seal(key, "same value", "ctx");
    expect(a).not.toBe(b);
    expect(open(key, a, "ctx")).toBe("same value");
    expect(() => open(key, a, "other row")).toThrow(TamperedSecretError);
    const otherKey = MasterKey.fromBytes(Buffer.alloc(32, 8), "test").encryptionKey;
    expect(() => open(otherKey, a, "ctx")).toThrow(TamperedSecretError);
  });

  it("rejects truncated, malformed and bit-flipped ciphertext", () => {
    const sealed = seal(key, "value", "ctx");
    const [format, nonce, body] = sealed.split(".") as [string, string, string];
    const flipped = Buffer.from(body, "base64url");
    flipped[0] = (flipped[0] ?? 0) ^ 1;
    for (const bad of [
      `${format}.${nonce}.${flipped.toString("base64url")}`,
      `${format}.${nonce}.${body.slice(0, 10)}`,
      `v2.${nonce}.${body}`,
      `${format}.${nonce}`,
      "",
    ]) {
      expect(() => open(key, bad, "ctx")).toThrow(TamperedSecretError);
    }
  });
});
