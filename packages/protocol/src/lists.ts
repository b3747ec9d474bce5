import { z } from "zod";

/** `GET /agents` answers a bare array of ids, per the contract. */
export const AgentIdList = z.array(z.string());
