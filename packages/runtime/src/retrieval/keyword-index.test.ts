import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseTargets, type FreshDatabase } from "../../../../test/support/databases.js";
import { openStore, type Store } from "../store/database.js";
import { migrateToLatest } from "../store/migrate.js";
import { KeywordIndex } from "./keyword-index.js";

for (const target of databaseTargets) {
  describe.skipIf(!target.available)(`the keyword index on ${target.name}`, () => {
    let database: FreshDatabase;
    let store: Store;
    let index: KeywordIndex;
    beforeAll(async () => {
      database = await target.create();
      store = await openStore({ dataDir: database.dataDir, databaseUrl: database.databaseUrl });
      await migrateToLatest(store.db, store.dialect);
      index = new KeywordIndex(store.dialect);
      const entries = Array.from({ length: 1_200 }, (_, i) => ({
        id: `e${i}`,
        text: `common filler entry number ${i}`,
      }));
      entries.push({ id: "needle", text: "common filler with a rare zeppelin" });
      await store.db.transaction().execute((trx) => index.put(trx, "t", "s", entries));
      await store.db
        .transaction()
        .execute((trx) => index.put(trx, "other-tenant", "s", [{ id: "theirs", text: "rare zeppelin" }]));
    });
    afterAll(async () => {
      await store?.close();
      await database?.dispose();
    });

    it("finds the entry with the rare word first, only in its own tenant and space", async () => {
      const hits = await index.search(store.db, "t", "s", "common zeppelin", 10);
      expect(hits[0]?.id).toBe("needle");
      expect(hits.map((h) => h.id)).not.toContain("theirs");
    });

    it("still answers a query made only of words every entry has", async () => {
      const hits = await index.search(store.db, "t", "s", "common filler", 5);
      expect(hits).toHaveLength(5);
    });

    it("treats query syntax as plain words", async () => {
      for (const hostile of [
        '" OR 1=1 --',
        "NEAR(a b)",
        "col:*",
        "a & !b | c <-> d",
        "'; drop table text_entries; --",
      ]) {
        await expect(index.search(store.db, "t", "s", hostile, 5)).resolves.toBeInstanceOf(Array);
      }
      expect(await index.search(store.db, "t", "s", "zeppelin", 5)).toHaveLength(1);
    });

    it("removes entries so they are no longer found", async () => {
      await store.db.transaction().execute((trx) => index.remove(trx, "t", "s", ["needle"]));
      expect(await index.search(store.db, "t", "s", "zeppelin", 5)).toEqual([]);
    });
  });
}

// BM25 on SQLite counts document frequencies over the whole FTS table, so these run on a fresh one.
for (const target of databaseTargets) {
  describe.skipIf(!target.available)(`keyword ranking on ${target.name}`, () => {
    let database: FreshDatabase;
    let store: Store;
    let index: KeywordIndex;
    beforeAll(async () => {
      database = await target.create();
      store = await openStore({ dataDir: database.dataDir, databaseUrl: database.databaseUrl });
      await migrateToLatest(store.db, store.dialect);
      index = new KeywordIndex(store.dialect);
    });
    afterAll(async () => {
      await store?.close();
      await database?.dispose();
    });

    it("ranks by the rare word of a question full of stop words, as on the other database", async () => {
      const chatter = Array.from({ length: 40 }, (_, i) => ({
        id: `chatter${i}`,
        text: `what is the plan and what is the status of the build ${i}, is it the one?`,
      }));
      chatter.push({ id: "answer", text: "The zeppelin lands at noon" });
      await store.db.transaction().execute((trx) => index.put(trx, "t", "q", chatter));
      const hits = await index.search(store.db, "t", "q", "what is the zeppelin doing?", 5);
      expect(hits[0]?.id).toBe("answer");
      // Stems on both: "landing" finds "lands".
      expect((await index.search(store.db, "t", "q", "landing", 5)).map((h) => h.id)).toEqual(["answer"]);
    });

    it("folds Latin diacritics and keeps other scripts whole, alike on both databases", async () => {
      await store.db.transaction().execute((trx) =>
        index.put(trx, "t", "u", [
          { id: "cafe", text: "Rendezvous at the Café Mühle" },
          { id: "hindi", text: "नमस्ते दुनिया" },
          { id: "plain", text: "an ordinary sentence" },
        ]),
      );
      const ids = async (query: string) =>
        (await index.search(store.db, "t", "u", query, 5)).map((h) => h.id);
      expect(await ids("cafe muhle")).toEqual(["cafe"]);
      expect(await ids("CAFÉ")).toEqual(["cafe"]);
      expect(await ids("दुनिया")).toEqual(["hindi"]);
    });
  });
}
