import { AgentIdParams } from "./agents.js";
import { route } from "./route.js";
import {
  ApprovalDecisionRequest,
  ApprovalList,
  EventStreamQuery,
  ExecuteRequest,
  Run,
  RunEventPayload,
  RunIdParams,
  RunListQuery,
  RunPage,
} from "./runs.js";

/** Runs of agents: execute, follow, cancel, and the human approvals their tool calls wait for. */
export const runRoutes = {
  executeAgent: route({
    id: "executeAgent",
    method: "POST",
    path: "/agents/{agent_id}/execute",
    summary: "Run an agent on an input; waits for the result (up to wait_seconds) unless wait is false",
    tag: "runs",
    auth: "agents:execute",
    contract: false,
    params: AgentIdParams,
    body: ExecuteRequest,
    response: Run,
  }),
  listAgentRuns: route({
    id: "listAgentRuns",
    method: "GET",
    path: "/agents/{agent_id}/runs",
    summary: "An agent's runs, newest first, without their steps",
    tag: "runs",
    auth: "runs:read",
    contract: false,
    params: AgentIdParams,
    query: RunListQuery,
    response: RunPage,
  }),
  getRun: route({
    id: "getRun",
    method: "GET",
    path: "/runs/{run_id}",
    summary: "A run with every step: model calls, gate decisions, approvals, tool calls",
    tag: "runs",
    auth: "runs:read",
    contract: false,
    params: RunIdParams,
    response: Run,
  }),
  cancelRun: route({
    id: "cancelRun",
    method: "POST",
    path: "/runs/{run_id}/cancel",
    summary: "Cancel a run that has not finished; a finished run answers 409",
    tag: "runs",
    auth: "agents:execute",
    contract: false,
    params: RunIdParams,
    response: Run,
  }),
  listApprovals: route({
    id: "listApprovals",
    method: "GET",
    path: "/approvals",
    summary: "Runs waiting for a human decision on a tool call, oldest first",
    tag: "runs",
    auth: "approvals:read",
    contract: false,
    response: ApprovalList,
  }),
  decideApproval: route({
    id: "decideApproval",
    method: "POST",
    path: "/runs/{run_id}/approval",
    summary: "Approve or deny the tool call a run waits on; the run then resumes",
    tag: "runs",
    auth: "approvals:decide",
    contract: false,
    params: RunIdParams,
    body: ApprovalDecisionRequest,
    response: Run,
  }),
};

/**
 * Routes that answer a stream of server-sent events rather than one JSON body. They are bound by
 * their own binder (same authentication and permission check), so they stay out of `routes`, whose
 * every entry answers JSON.
 */
export const streamRoutes = {
  streamEvents: route({
    id: "streamEvents",
    method: "GET",
    path: "/events",
    summary:
      "Live run events (text/event-stream): one run (replayed from its start), one agent, or your tenant",
    tag: "runs",
    auth: "runs:read",
    contract: false,
    query: EventStreamQuery,
    response: RunEventPayload,
  }),
};
