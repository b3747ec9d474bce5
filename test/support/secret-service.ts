import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "./databases.js";

/**
 * A real Linux OS keychain for tests: a private D-Bus session bus with GNOME Keyring serving the
 * Secret Service on it, unlocked. `@napi-rs/keyring` reaches it through DBUS_SESSION_BUS_ADDRESS, as
 * it reaches a desktop's keyring. Available where gnome-keyring is installed (CI installs it).
 */
export const secretServiceAvailable =
  existsSync("/usr/bin/gnome-keyring-daemon") && existsSync("/usr/bin/dbus-daemon");

export interface SecretServiceBus {
  /** The bus address to put in DBUS_SESSION_BUS_ADDRESS. */
  address: string;
  close(): Promise<void>;
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}

function secretsServed(env: NodeJS.ProcessEnv): boolean {
  try {
    const reply = execFileSync(
      "dbus-send",
      [
        "--session",
        "--print-reply",
        "--dest=org.freedesktop.DBus",
        "/org/freedesktop/DBus",
        "org.freedesktop.DBus.NameHasOwner",
        "string:org.freedesktop.secrets",
      ],
      { env, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] },
    );
    return reply.includes("boolean true");
  } catch {
    return false;
  }
}

export async function startSecretService(): Promise<SecretServiceBus> {
  const dir = tempDir("symbiont-keyring-");
  const address = `unix:path=${join(dir, "bus")}`;
  const bus = spawn("dbus-daemon", ["--session", "--nofork", `--address=${address}`], {
    stdio: "ignore",
  });
  const env = {
    ...process.env,
    DBUS_SESSION_BUS_ADDRESS: address,
    HOME: dir,
    XDG_DATA_HOME: join(dir, "data"),
    XDG_RUNTIME_DIR: dir,
  };
  for (let i = 0; i < 100 && !existsSync(join(dir, "bus")); i++) await new Promise((r) => setTimeout(r, 20));
  const keyring = spawn(
    "gnome-keyring-daemon",
    ["--foreground", "--unlock", "--components=secrets", `--control-directory=${dir}`],
    { env, stdio: ["pipe", "ignore", "ignore"] },
  );
  // --unlock reads the new login keyring's password from stdin.
  keyring.stdin?.end("keyring-password-for-tests");
  for (let i = 0; i < 100 && !secretsServed(env); i++) await new Promise((r) => setTimeout(r, 50));
  if (!secretsServed(env)) {
    await stop(keyring);
    await stop(bus);
    throw new Error("GNOME Keyring did not start serving org.freedesktop.secrets on the test bus");
  }
  return {
    address,
    async close() {
      await stop(keyring);
      await stop(bus);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
