/** The contract's issuer and audience, shared by v1 clients' tokens and the runtime's own. */
export const JWT_ISSUER = "symbiont";
export const JWT_AUDIENCE = "symbiont-api";
