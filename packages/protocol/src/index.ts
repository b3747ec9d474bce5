export * from "./agents.js";
export * from "./audit.js";
export * from "./dsl.js";
export * from "./errors.js";
export * from "./keys.js";
export * from "./lists.js";
export * from "./openapi.js";
export * from "./permissions.js";
export * from "./routes.js";
export * from "./system.js";
export * from "./text.js";

export const API_PREFIX = "/api/v1";
export const DEFAULT_PORT = 8080;
