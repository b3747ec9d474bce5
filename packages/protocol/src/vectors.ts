import { z } from "zod";
import { boundedJsonObject, FiniteNumber } from "./json.js";
import { ResourceName, storableText, Timestamp } from "./text.js";

export const MAX_VECTOR_SIZE = 4096;
export const CollectionDistance = z.enum(["Cosine", "Euclidean", "Dot"]);
export type CollectionDistance = z.infer<typeof CollectionDistance>;

export const CollectionName = ResourceName;

const Connectivity = z.int().min(4, "must be between 4 and 64").max(64, "must be between 4 and 64");
const Expansion = z.int().min(8, "must be between 8 and 4096").max(4096, "must be between 8 and 4096");

/**
 * Qdrant-style HNSW settings: `m` (connectivity), `ef_construct` and `ef` (search expansion) shape the
 * collection's graph once it outgrows exact search; other keys are kept as given.
 */
export const HnswConfig = z.looseObject({
  m: Connectivity.nullish(),
  ef_construct: Expansion.nullish(),
  ef: Expansion.nullish(),
});

export const CollectionCreateRequest = z.strictObject({
  name: CollectionName,
  vector_size: z
    .int()
    .min(1, `must be between 1 and ${MAX_VECTOR_SIZE}`)
    .max(MAX_VECTOR_SIZE, `must be between 1 and ${MAX_VECTOR_SIZE}`),
  distance: CollectionDistance.default("Cosine"),
  on_disk_payload: z.boolean().default(false),
  hnsw_config: HnswConfig.nullish(),
  optimizers_config: boundedJsonObject(4096).nullish(),
});
export type CollectionCreateRequest = z.infer<typeof CollectionCreateRequest>;

/** Point ids are strings or non-negative integers, as in Qdrant; they match by their string form. */
export const PointId = z.union([
  storableText(256, 1),
  z.int().min(0, "must be a non-negative integer or a string").max(Number.MAX_SAFE_INTEGER),
]);
export type PointId = z.infer<typeof PointId>;

const Vector = z.array(FiniteNumber).min(1, "must not be empty").max(MAX_VECTOR_SIZE);
const VectorName = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, "must be 1-64 characters of A-Z a-z 0-9 . _ -");

export const Point = z.strictObject({
  id: PointId,
  /** One vector, or named vectors (each of the collection's size). */
  vector: z.union([
    Vector,
    z
      .record(VectorName, Vector)
      .refine((v) => Object.keys(v).length >= 1 && Object.keys(v).length <= 16, "must name 1 to 16 vectors"),
  ]),
  payload: boundedJsonObject(65_536).nullish(),
});
export type Point = z.infer<typeof Point>;

export const VectorUpsertRequest = z.strictObject({
  collection_name: CollectionName,
  points: z
    .array(Point)
    .min(1, "must contain at least one point")
    .max(10_000, "must contain at most 10000 points per call"),
  wait: z.boolean().default(true),
});
export type VectorUpsertRequest = z.infer<typeof VectorUpsertRequest>;

/** `ids` is a repeated query key; a single one arrives as a plain string. */
export const VectorRetrieveQuery = z.strictObject({
  collection_name: CollectionName,
  ids: z
    .preprocess(
      (v) => (typeof v === "string" ? [v] : v),
      z.array(storableText(256, 1)).max(1000, "must list at most 1000 ids"),
    )
    .default([]),
});
export type VectorRetrieveQuery = z.infer<typeof VectorRetrieveQuery>;

export const VectorDeleteRequest = z.strictObject({
  collection_name: CollectionName,
  ids: z.array(PointId).max(10_000, "must list at most 10000 ids"),
});
export type VectorDeleteRequest = z.infer<typeof VectorDeleteRequest>;

const PayloadValue = z.union([z.string(), z.number(), z.boolean()]);

/** Our extension: nearest neighbours of a vector within one collection. */
export const CollectionSearchRequest = z.strictObject({
  vector: Vector,
  /** Which named vector to search; null for the unnamed one. */
  using: VectorName.nullish(),
  limit: z.int().min(1).max(1000).default(10),
  /** Equality on top-level payload keys; a list means "any of". */
  filter: z.record(z.string(), z.union([PayloadValue, z.array(PayloadValue).max(100)])).nullish(),
  with_payload: z.boolean().default(true),
  with_vector: z.boolean().default(false),
  /** Force exact (brute-force) search instead of the approximate index. */
  exact: z.boolean().default(false),
});
export type CollectionSearchRequest = z.infer<typeof CollectionSearchRequest>;

export const CollectionNameParams = z.strictObject({ collection_name: CollectionName });

export const CollectionResponse = z.object({
  collection_name: z.string(),
  status: z.string(),
  result: z.record(z.string(), z.unknown()).nullable(),
});
export type CollectionResponse = z.infer<typeof CollectionResponse>;

export const CollectionInfo = z.object({
  collection_name: z.string(),
  config: z.object({
    vector_size: z.int(),
    distance: CollectionDistance,
    on_disk_payload: z.boolean(),
    hnsw_config: z.record(z.string(), z.unknown()).nullable(),
    optimizers_config: z.record(z.string(), z.unknown()).nullable(),
  }),
  status: z.string(),
  vectors_count: z.int(),
  indexed_vectors_count: z.int(),
  points_count: z.int(),
  created_at: Timestamp,
});
export type CollectionInfo = z.infer<typeof CollectionInfo>;

/** `GET /vectors/collections` answers a bare array of names. */
export const CollectionNameList = z.array(z.string());

export const UpsertResponse = z.object({
  collection_name: z.string(),
  operation_id: z.string().nullable(),
  status: z.string(),
  points_count: z.int(),
});
export type UpsertResponse = z.infer<typeof UpsertResponse>;

const JsonVector = z.union([z.array(z.number()), z.record(z.string(), z.array(z.number()))]);

export const RetrievedPoint = z.object({
  id: z.union([z.string(), z.int()]),
  vector: JsonVector,
  payload: z.record(z.string(), z.unknown()),
});
export type RetrievedPoint = z.infer<typeof RetrievedPoint>;
/** `GET /vectors/retrieve` answers a bare array. */
export const RetrievedPointList = z.array(RetrievedPoint);

export const CollectionSearchResponse = z.object({
  results: z.array(
    z.object({
      id: z.union([z.string(), z.int()]),
      score: z
        .number()
        .describe("Cosine and Dot: similarity, higher is closer. Euclidean: distance, lower is closer"),
      payload: z.record(z.string(), z.unknown()).nullable(),
      vector: JsonVector.nullable(),
    }),
  ),
  exact: z.boolean().describe("Whether exact search answered (small collection, selective filter, or asked)"),
});
export type CollectionSearchResponse = z.infer<typeof CollectionSearchResponse>;

export const VectorCountResponse = z.object({ count: z.int(), collection_name: z.string() });
export const CollectionDeletedResponse = z.object({ deleted: z.literal(true), collection_name: z.string() });
export const VectorsDeletedResponse = z.object({ deleted: z.int(), collection_name: z.string() });
