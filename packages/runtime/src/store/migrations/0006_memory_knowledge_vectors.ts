import { type Kysely, PostgresAdapter, sql } from "kysely";

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen in time and must not follow the current Database type
type AnyDb = Kysely<any>;

const isPostgres = (db: AnyDb) => db.getExecutor().adapter instanceof PostgresAdapter;

export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable("memories")
    .addColumn("tenant_id", "text", (c) => c.notNull())
    .addColumn("id", "text", (c) => c.notNull())
    .addColumn("agent_id", "text", (c) => c.notNull())
    .addColumn("content", "text", (c) => c.notNull())
    // Lower-cased JSON of the content, for the contract's case-insensitive substring match; SQLite's
    // lower() only folds ASCII, so the folding happens in the runtime for both databases.
    .addColumn("content_folded", "text", (c) => c.notNull())
    .addColumn("memory_type", "text", (c) => c.notNull())
    .addColumn("memory_level", "text", (c) => c.notNull())
    .addColumn("conversation_id", "text")
    .addColumn("parent_id", "text")
    .addColumn("importance", "double precision", (c) => c.notNull())
    .addColumn("access_count", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("metadata", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("last_accessed_at", "text")
    .addColumn("expires_at", "text")
    // Set when consolidation merged this memory into another; the row stays as history.
    .addColumn("superseded_by", "text")
    .addPrimaryKeyConstraint("memories_pk", ["tenant_id", "id"])
    .execute();
  await db.schema
    .createIndex("memories_agent_created_idx")
    .on("memories")
    .columns(["tenant_id", "agent_id", "created_at"])
    .execute();
  await db.schema
    .createIndex("memories_conversation_idx")
    .on("memories")
    .columns(["tenant_id", "agent_id", "conversation_id", "created_at"])
    .execute();

  // children_ids of every answered memory are looked up by parent.
  await db.schema
    .createIndex("memories_parent_idx")
    .on("memories")
    .columns(["tenant_id", "parent_id"])
    .execute();

  await db.schema
    .createTable("knowledge_items")
    .addColumn("tenant_id", "text", (c) => c.notNull())
    .addColumn("id", "text", (c) => c.notNull())
    .addColumn("content", "text", (c) => c.notNull())
    .addColumn("source", "text", (c) => c.notNull())
    .addColumn("source_type", "text", (c) => c.notNull())
    .addColumn("chunk_index", "integer")
    .addColumn("agent_id", "text")
    .addColumn("timestamp", "text", (c) => c.notNull())
    .addColumn("chunk_count", "integer", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("knowledge_items_pk", ["tenant_id", "id"])
    .execute();
  await db.schema
    .createTable("knowledge_chunks")
    .addColumn("tenant_id", "text", (c) => c.notNull())
    .addColumn("item_id", "text", (c) => c.notNull())
    .addColumn("chunk_index", "integer", (c) => c.notNull())
    .addColumn("content", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("knowledge_chunks_pk", ["tenant_id", "item_id", "chunk_index"])
    .execute();

  await db.schema
    .createTable("vector_collections")
    .addColumn("tenant_id", "text", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("vector_size", "integer", (c) => c.notNull())
    .addColumn("distance", "text", (c) => c.notNull())
    .addColumn("on_disk_payload", "integer", (c) => c.notNull())
    .addColumn("hnsw_config", "text")
    .addColumn("optimizers_config", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("vector_collections_pk", ["tenant_id", "name"])
    .execute();
  await db.schema
    .createTable("vector_points")
    .addColumn("tenant_id", "text", (c) => c.notNull())
    .addColumn("collection", "text", (c) => c.notNull())
    // The id's string form: the contract matches ids by it (query values arrive as text).
    .addColumn("id", "text", (c) => c.notNull())
    .addColumn("id_is_int", "integer", (c) => c.notNull())
    // JSON array of the point's vector names; [""] for one unnamed vector.
    .addColumn("vector_names", "text", (c) => c.notNull())
    .addColumn("payload", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("vector_points_pk", ["tenant_id", "collection", "id"])
    .execute();

  // Every vector of every domain, per tenant and space (a collection's vector, an agent's memories,
  // the knowledge base). The in-memory indexes are built from here, so the database stays the truth.
  await db.schema
    .createTable("vector_spaces")
    .addColumn("tenant_id", "text", (c) => c.notNull())
    .addColumn("space", "text", (c) => c.notNull())
    .addColumn("dimensions", "integer", (c) => c.notNull())
    .addColumn("metric", "text", (c) => c.notNull())
    .addColumn("embedder", "text", (c) => c.notNull())
    // Bumped by every write to the space: a node whose in-memory index has another generation
    // missed a write of another node (or process) and reloads the space.
    .addColumn("generation", "integer", (c) => c.notNull().defaultTo(0))
    // JSON of the space's own HNSW settings (a collection's hnsw_config); null for the defaults.
    .addColumn("ann_settings", "text")
    .addPrimaryKeyConstraint("vector_spaces_pk", ["tenant_id", "space"])
    .execute();
  await db.schema
    .createTable("vector_entries")
    .addColumn("tenant_id", "text", (c) => c.notNull())
    .addColumn("space", "text", (c) => c.notNull())
    .addColumn("id", "text", (c) => c.notNull())
    // The approximate index's 64-bit key (decimal), new on every write of the entry.
    .addColumn("key", "text", (c) => c.notNull())
    // Float32 little-endian, base64: text keeps one migration set for both databases.
    .addColumn("vector", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("vector_entries_pk", ["tenant_id", "space", "id"])
    .execute();

  if (isPostgres(db)) {
    await db.schema
      .createTable("text_entries")
      .addColumn("tenant_id", "text", (c) => c.notNull())
      .addColumn("space", "text", (c) => c.notNull())
      .addColumn("id", "text", (c) => c.notNull())
      .addColumn("body", "text", (c) => c.notNull())
      // English stems ("running" finds "run") and the words as written (any language), together.
      .addColumn("tsv", sql`tsvector`, (c) =>
        c.generatedAlwaysAs(sql`to_tsvector('english', body) || to_tsvector('simple', body)`).stored(),
      )
      .addPrimaryKeyConstraint("text_entries_pk", ["tenant_id", "space", "id"])
      .execute();
    await sql`create index text_entries_tsv_idx on text_entries using gin (tsv)`.execute(db);
  } else {
    await db.schema
      .createTable("text_entries")
      .addColumn("entry_rowid", "integer", (c) => c.primaryKey())
      .addColumn("tenant_id", "text", (c) => c.notNull())
      .addColumn("space", "text", (c) => c.notNull())
      .addColumn("id", "text", (c) => c.notNull())
      .addUniqueConstraint("text_entries_key", ["tenant_id", "space", "id"])
      .execute();
    // BM25 over FTS5; rows are keyed by text_entries' rowid so a delete is a point lookup.
    // Porter stemming over unicode61: English stems, every script tokenised, diacritics folded.
    await sql`create virtual table text_fts using fts5(body, tokenize = 'porter unicode61 remove_diacritics 2')`.execute(
      db,
    );
    // Document frequency per term, so a query can leave out words nearly every entry has.
    await sql`create virtual table text_fts_vocab using fts5vocab(text_fts, 'row')`.execute(db);
  }
}

export async function down(db: AnyDb): Promise<void> {
  if (!isPostgres(db)) {
    await sql`drop table text_fts_vocab`.execute(db);
    await sql`drop table text_fts`.execute(db);
  }
  for (const table of [
    "text_entries",
    "vector_entries",
    "vector_spaces",
    "vector_points",
    "vector_collections",
    "knowledge_chunks",
    "knowledge_items",
    "memories",
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
