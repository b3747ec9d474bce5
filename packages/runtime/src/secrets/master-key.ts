import { createHmac, hkdfSync, randomBytes, scrypt as scryptCallback, timingSafeEqual } from "node:crypto";
import {
  closeSync,
  constants,
  fsyncSync,
  linkSync,
  openSync,
  readFileSync,
  statSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { promisify } from "node:util";

const scrypt = promisify(scryptCallback) as (
  password: string,
  salt: Buffer,
  keylen: number,
  options: { N: number; r: number; p: number; maxmem: number },
) => Promise<Buffer>;

/** What the database remembers about the master key: never the key, only how to recognise it. */
export interface KeyCheckRecord {
  kdf: "raw" | "scrypt";
  /** Hex salt for scrypt; empty for a raw key. */
  salt: string;
  /** Hex HMAC of a fixed text under a subkey of the master key. */
  check: string;
}

export class MasterKeyError extends Error {
  override readonly name = "MasterKeyError";
}

// scrypt N=2^15, r=8: about 100 ms and 32 MiB here, OWASP's recommended minimum for passwords.
const SCRYPT = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const RAW_KEY = /^[0-9a-fA-F]{64}$/;
const MIN_PASSPHRASE = 16;

/**
 * The master key, held as two subkeys: one encrypts secrets, the other makes the key-check value.
 * Deriving both with HKDF keeps the check from saying anything about the encryption key.
 */
export class MasterKey {
  private constructor(
    readonly encryptionKey: Buffer,
    private readonly checkKey: Buffer,
    readonly source: string,
    private readonly derive: (info: string) => Buffer,
  ) {}

  static fromBytes(key: Buffer, source: string): MasterKey {
    const derive = (info: string) =>
      Buffer.from(hkdfSync("sha256", key, Buffer.alloc(0), `symbiont secrets ${info}`, 32));
    return new MasterKey(derive("encryption v1"), derive("key check v1"), source, derive);
  }

  /**
   * A key of its own for another part of the runtime (token signing keys, TOTP secrets), so that
   * no two purposes ever share a key.
   */
  subkey(purpose: string): Buffer {
    return this.derive(`purpose ${purpose}`);
  }

  checkValue(): string {
    return createHmac("sha256", this.checkKey).update("symbiont master key check").digest("hex");
  }

  matches(record: KeyCheckRecord): boolean {
    const expected = Buffer.from(record.check, "hex");
    const actual = Buffer.from(this.checkValue(), "hex");
    return expected.length === actual.length && timingSafeEqual(expected, actual);
  }
}

export interface MasterKeySource {
  /** SYMBIONT_MASTER_KEY: 64 hex characters (a raw 256-bit key) or a passphrase of 16+ characters. */
  masterKey?: string | undefined;
  /** Where the generated key lives when no masterKey is given. */
  masterKeyFile: string;
}

/**
 * Creates a file whole or not at all, and only if it does not exist yet: the content goes to a temp
 * file that is fsynced, then hard-linked to its name (link, unlike rename, fails when the name is
 * taken, so two processes starting at once agree on the first one's file). False when it existed.
 */
export function createFileAtomically(path: string, content: string, mode: number): boolean {
  const temp = join(dirname(path), `.${Date.now().toString(36)}-${randomBytes(6).toString("hex")}.tmp`);
  const fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(temp, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  } finally {
    unlinkSync(temp);
  }
  // The new name is durable only once the directory is synced.
  const dir = openSync(dirname(path), constants.O_RDONLY);
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
  return true;
}

function readKeyFile(path: string): Buffer | undefined {
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new MasterKeyError(`Master key file ${path} cannot be read: ${(error as Error).message}`);
  }
  if ((mode & 0o077) !== 0) {
    throw new MasterKeyError(
      `Master key file ${path} is readable by other users (mode ${(mode & 0o777).toString(8)}); run \`chmod 600 ${path}\``,
    );
  }
  const text = readFileSync(path, "utf8").trim();
  if (!RAW_KEY.test(text)) {
    throw new MasterKeyError(
      `Master key file ${path} is damaged: it must hold 64 hex characters (a 256-bit key). Restore it from your backup; without it the stored secrets cannot be decrypted.`,
    );
  }
  return Buffer.from(text, "hex");
}

/**
 * Resolves the master key: from SYMBIONT_MASTER_KEY (raw hex or a passphrase, stretched with scrypt
 * over the salt the database keeps), else from the key file, creating it with mode 0600 on the very
 * first start. `record` is the database's key check, if any: a key that does not match it fails here,
 * at start, instead of later as undecryptable secrets.
 */
export async function resolveMasterKey(
  source: MasterKeySource,
  record: KeyCheckRecord | undefined,
): Promise<{ key: MasterKey; record: KeyCheckRecord }> {
  let key: MasterKey;
  let kdf: KeyCheckRecord["kdf"] = "raw";
  let salt = "";
  if (source.masterKey !== undefined) {
    if (RAW_KEY.test(source.masterKey)) {
      key = MasterKey.fromBytes(Buffer.from(source.masterKey, "hex"), "SYMBIONT_MASTER_KEY");
    } else {
      if (source.masterKey.length < MIN_PASSPHRASE) {
        throw new MasterKeyError(
          `SYMBIONT_MASTER_KEY must be 64 hex characters or a passphrase of at least ${MIN_PASSPHRASE} characters`,
        );
      }
      kdf = "scrypt";
      salt = record?.kdf === "scrypt" ? record.salt : randomBytes(16).toString("hex");
      const stretched = await scrypt(source.masterKey, Buffer.from(salt, "hex"), 32, SCRYPT);
      key = MasterKey.fromBytes(stretched, "SYMBIONT_MASTER_KEY (passphrase)");
    }
  } else {
    let bytes = readKeyFile(source.masterKeyFile);
    if (!bytes) {
      if (record) {
        throw new MasterKeyError(
          `Master key file ${source.masterKeyFile} is missing, but this database holds secrets encrypted with a master key. Restore the key file or set SYMBIONT_MASTER_KEY.`,
        );
      }
      const created = randomBytes(32);
      // Another process starting at the same moment may have won; then its key is the key.
      bytes = createFileAtomically(source.masterKeyFile, `${created.toString("hex")}\n`, 0o600)
        ? created
        : readKeyFile(source.masterKeyFile);
      if (!bytes) throw new MasterKeyError(`Master key file ${source.masterKeyFile} vanished while starting`);
    }
    key = MasterKey.fromBytes(bytes, `key file ${source.masterKeyFile}`);
  }
  if (record && !key.matches(record)) {
    throw new MasterKeyError(
      `The master key from ${key.source} is not the one this database's secrets were encrypted with (key check failed). Start with the original key; secrets cannot be read without it.`,
    );
  }
  return { key, record: record ?? { kdf, salt, check: key.checkValue() } };
}
