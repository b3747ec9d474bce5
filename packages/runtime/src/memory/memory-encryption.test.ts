import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  ContextResponse,
  ConversationContext,
  MemoryResponse,
  MemorySearchResponse,
  VectorSearchResponse,
} from "@symbiont/protocol";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseTargets, type FreshDatabase } from "../../../../test/support/databases.js";
import { startTestRuntime, type TestRuntime } from "../../../../test/support/runtime.js";
import type { Store } from "../store/database.js";

// Words that appear nowhere but in what is stored here, so finding them anywhere is a leak.
const MEMORY_WORD = "zanzibarquokka";
const KNOWLEDGE_WORD = "xylophonistry";
const UNICODE_WORD = "Ωmegaçafé";

/** Every byte the database holds, as text: the SQLite files (with the WAL), or every Postgres row. */
async function everythingStored(store: Store, dataDir: string): Promise<string> {
  if (store.dialect === "sqlite") {
    return readdirSync(dataDir)
      .filter((name) => name.startsWith("symbiont.db"))
      .map(
        (name) =>
          readFileSync(join(dataDir, name)).toString("latin1") +
          readFileSync(join(dataDir, name)).toString("utf8"),
      )
      .join("\n");
  }
  const tables = await sql<{ table_name: string }>`select table_name from information_schema.tables
    where table_schema = current_schema() and table_type = 'BASE TABLE'`.execute(store.db);
  const parts: string[] = [];
  for (const { table_name } of tables.rows) {
    const rows = await sql<{ row: string }>`select t::text as row from ${sql.table(table_name)} t`.execute(
      store.db,
    );
    parts.push(...rows.rows.map((r) => r.row));
  }
  return parts.join("\n");
}

for (const target of databaseTargets) {
  describe.skipIf(!target.available)(`memory encryption at rest on ${target.name}`, () => {
    let database: FreshDatabase;
    let server: TestRuntime;
    const start = (memoryEncryption: boolean) => startTestRuntime(database, { memoryEncryption });

    beforeAll(async () => {
      database = await target.create();
      server = await start(true);
    });
    afterAll(async () => {
      await server?.close();
      await database?.dispose();
    });

    const search = async (body: Record<string, unknown>) => {
      const response = await server.call("POST", "/memory/search", {
        body: { agent_id: "enc", limit: 10, ...body },
      });
      expect(response.status, response.text).toBe(200);
      return MemorySearchResponse.parse(response.body).memories;
    };

    it("stores no word of memories or knowledge, and still finds them by keyword, meaning and substring", async () => {
      const stored = MemoryResponse.parse(
        (
          await server.call("POST", "/memory", {
            body: {
              agent_id: "enc",
              memory_type: "fact",
              memory_level: "long_term",
              content: { text: `The ${MEMORY_WORD} hides the launch codes near ${UNICODE_WORD}` },
            },
          })
        ).body,
      ).memory;
      await server.call("POST", "/memory", {
        body: {
          agent_id: "enc",
          memory_type: "fact",
          memory_level: "long_term",
          content: { text: "Groceries: milk, eggs and bread" },
        },
      });
      const added = await server.call("POST", "/knowledge", {
        body: {
          id: "doc-1",
          content: `A treatise on ${KNOWLEDGE_WORD}: the art of playing many xylophones at once.`,
          metadata: { source: "manual.txt", source_type: "document" },
        },
      });
      expect(added.status, added.text).toBe(200);

      // Found by its rare word (keyword digests), by meaning, and by substring (matched after opening).
      expect((await search({ query: MEMORY_WORD }))[0]?.id).toBe(stored.id);
      expect((await search({ query: UNICODE_WORD.toUpperCase() }))[0]?.id).toBe(stored.id);
      const bySubstring = await search({ query: {}, content_contains: "LAUNCH CODES" });
      expect(bySubstring.map((m) => m.id)).toEqual([stored.id]);
      expect(bySubstring[0]?.content).toEqual({
        text: `The ${MEMORY_WORD} hides the launch codes near ${UNICODE_WORD}`,
      });
      const knowledge = VectorSearchResponse.parse(
        (
          await server.call("POST", "/knowledge/search", {
            body: { query: KNOWLEDGE_WORD, limit: 5, similarity_threshold: 0 },
          })
        ).body,
      );
      expect(knowledge.results[0]?.item.content).toContain(KNOWLEDGE_WORD);
      const context = ContextResponse.parse(
        (await server.call("POST", "/rag/context", { body: { query: `what is ${KNOWLEDGE_WORD}?` } })).body,
      );
      expect(context.context_items.join(" ")).toContain(KNOWLEDGE_WORD);

      // A conversation's turns and the related memories ranked for them open too.
      await server.call("POST", "/memory", {
        body: {
          agent_id: "enc",
          memory_type: "conversation",
          memory_level: "short_term",
          conversation_id: "chat-1",
          content: { text: `Where does the ${MEMORY_WORD} hide the codes?` },
        },
      });
      const conversation = ConversationContext.parse(
        (await server.call("GET", "/memory/conversation?conversation_id=chat-1&agent_id=enc")).body,
      );
      const texts = conversation.memories.map((m) => (m.content as { text: string }).text);
      expect(texts[0]).toContain("Where does the");
      expect(texts).toContain(`The ${MEMORY_WORD} hides the launch codes near ${UNICODE_WORD}`);

      const bytes = await everythingStored(server.runtime.store, database.dataDir);
      expect(bytes.length).toBeGreaterThan(1_000);
      for (const word of [
        MEMORY_WORD,
        KNOWLEDGE_WORD,
        "launch codes",
        "xylophones",
        "Groceries",
        UNICODE_WORD,
      ])
        expect(bytes.includes(word), `"${word}" is stored in plain text`).toBe(false);
    });

    it("brings existing content in line when the flag is switched off, and seals it again when switched on", async () => {
      await server.close();
      server = await start(false);
      // Opened in place: plain keyword search with stemming again ("hiding" finds "hides").
      const [first] = await search({ query: "hiding" });
      expect(JSON.stringify(first?.content)).toContain(MEMORY_WORD);
      expect(await everythingStored(server.runtime.store, database.dataDir)).toContain(MEMORY_WORD);

      await server.close();
      server = await start(true);
      expect((await search({ query: MEMORY_WORD }))[0]?.content).toMatchObject({
        text: expect.stringContaining(MEMORY_WORD),
      });
      const rows = await server.runtime.store.db
        .selectFrom("memories")
        .select(["sealed", "content_folded"])
        .execute();
      for (const row of rows) expect(row).toEqual({ sealed: 1, content_folded: "" });
      const chunks = await server.runtime.store.db.selectFrom("knowledge_chunks").select("sealed").execute();
      expect(chunks.every((c) => c.sealed === 1)).toBe(true);
    });

    it("refuses a sealed row moved to another memory instead of showing it", async () => {
      const db = server.runtime.store.db;
      const [a, b] = await db
        .selectFrom("memories")
        .select(["id", "content"])
        .orderBy("id")
        .limit(2)
        .execute();
      await db
        .updateTable("memories")
        .set({ content: a?.content as string })
        .where("id", "=", b?.id as string)
        .execute();
      const read = await server.call("GET", `/memory?agent_id=enc&limit=50&memory_id=${b?.id}`);
      expect(read.status, read.text).toBeGreaterThanOrEqual(500);
      expect(read.text).not.toContain(MEMORY_WORD);
      expect(read.text).not.toContain("Groceries");
    });
  });
}
