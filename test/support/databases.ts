import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { postgresUrl } from "./services.js";

export interface DatabaseTarget {
  name: "sqlite" | "postgres";
  /** Skipped when the service is not configured (never in CI). */
  available: boolean;
  /** A fresh, empty database; `dispose` removes it. */
  create(): Promise<FreshDatabase>;
}

export interface FreshDatabase {
  dataDir: string;
  databaseUrl: string | undefined;
  dispose(): Promise<void>;
}

export function tempDir(prefix = "symbiont-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Each Postgres database is a fresh schema, selected through the connection's search_path. */
async function createPostgresSchema(baseUrl: string): Promise<FreshDatabase> {
  const schema = `t_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`create schema "${schema}"`);
  await admin.end();
  const url = new URL(baseUrl);
  url.searchParams.set("options", `-c search_path=${schema}`);
  const dataDir = tempDir();
  return {
    dataDir,
    databaseUrl: url.toString(),
    async dispose() {
      const client = new pg.Client({ connectionString: baseUrl });
      await client.connect();
      await client.query(`drop schema if exists "${schema}" cascade`);
      await client.end();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export const databaseTargets: DatabaseTarget[] = [
  {
    name: "sqlite",
    available: true,
    async create() {
      const dataDir = tempDir();
      return {
        dataDir,
        databaseUrl: undefined,
        dispose: async () => rmSync(dataDir, { recursive: true, force: true }),
      };
    },
  },
  {
    name: "postgres",
    available: postgresUrl !== undefined,
    create: () => createPostgresSchema(postgresUrl as string),
  },
];
