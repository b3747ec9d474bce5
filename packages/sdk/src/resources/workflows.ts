import {
  FINISHED_WORKFLOW_STATUSES,
  type RouteBody,
  type RouteQuery,
  type RouteResponse,
  type WorkflowSpecInput,
} from "@symbiont/protocol";
import { SymbiontError } from "../errors.js";
import type { RequestOptions } from "../options.js";
import { paginate } from "../pagination.js";
import type { Transport } from "../transport.js";
import { pathId } from "./path-id.js";

export type WorkflowDefinition = RouteResponse<"getWorkflowDefinition">;
export type WorkflowDefinitionList = RouteResponse<"listWorkflowDefinitions">;
export type WorkflowDefinitionCreate = RouteBody<"createWorkflowDefinition">;
export type WorkflowExecution = RouteResponse<"getWorkflowExecution">;
export type WorkflowExecutionSummary = RouteResponse<"listWorkflowExecutions">["items"][number];
export type WorkflowExecutionPage = RouteResponse<"listWorkflowExecutions">;
export type WorkflowExecutionStarted = RouteResponse<"executeWorkflow">;

export interface WorkflowExecuteOptions {
  /** The agent for steps that name none. */
  agentId?: string;
  /** A version to run; the latest by default. */
  version?: number;
  /** false: answer at once. Default: wait up to `waitSeconds` for it to finish or wait for approval. */
  wait?: boolean;
  waitSeconds?: number;
}

export interface WaitForExecutionOptions {
  /** Give up after this long (default 5 minutes). */
  timeoutMs?: number;
  /** How often to look (default 1 s). */
  intervalMs?: number;
  /** Also return when the execution waits for an approval (default true). */
  stopAtApproval?: boolean;
  signal?: AbortSignal;
}

/** Workflows: versioned DAG definitions and their durable executions. */
export class WorkflowsResource {
  readonly #transport: Transport;

  constructor(transport: Transport) {
    this.#transport = transport;
  }

  /** Creates a definition (version 1). Needs `workflows:write`. */
  async create(definition: WorkflowDefinitionCreate, options?: RequestOptions): Promise<WorkflowDefinition> {
    return this.#transport.route("createWorkflowDefinition", { body: definition }, options);
  }

  /** Publishes a new version of a workflow (by id or name); running executions keep theirs. */
  async createVersion(
    workflow: string,
    spec: WorkflowSpecInput,
    options?: RequestOptions,
  ): Promise<WorkflowDefinition> {
    return this.#transport.route(
      "createWorkflowVersion",
      { params: { workflow_id: pathId("workflow", workflow) }, body: spec },
      options,
    );
  }

  /** A definition by id or name: the latest version, or `version`. */
  async get(workflow: string, version?: number, options?: RequestOptions): Promise<WorkflowDefinition> {
    return this.#transport.route(
      "getWorkflowDefinition",
      {
        params: { workflow_id: pathId("workflow", workflow) },
        query: version === undefined ? {} : { version },
      },
      options,
    );
  }

  /** The latest version of every definition. */
  async list(options?: RequestOptions): Promise<WorkflowDefinitionList> {
    return this.#transport.route("listWorkflowDefinitions", {}, options);
  }

  /** Every version of one workflow, newest first. */
  async versions(workflow: string, options?: RequestOptions): Promise<WorkflowDefinitionList> {
    return this.#transport.route(
      "listWorkflowVersions",
      { params: { workflow_id: pathId("workflow", workflow) } },
      options,
    );
  }

  /**
   * Executes a workflow (by id or name). Parameters may hold `secret://name` or
   * `vault://mount/path#key` references: they are resolved in tool calls only, never stored resolved.
   */
  async execute(
    workflow: string,
    parameters: Record<string, unknown> = {},
    settings: WorkflowExecuteOptions = {},
    options?: RequestOptions,
  ): Promise<WorkflowExecutionStarted> {
    const body = {
      workflow_id: workflow,
      parameters,
      agent_id: settings.agentId ?? null,
      version: settings.version ?? null,
      wait: settings.wait ?? null,
      wait_seconds: settings.waitSeconds ?? null,
    };
    return this.#transport.route("executeWorkflow", { body }, options);
  }

  /** An execution with the state of every step. */
  async getExecution(executionId: string, options?: RequestOptions): Promise<WorkflowExecution> {
    return this.#transport.route(
      "getWorkflowExecution",
      { params: { execution_id: pathId("execution", executionId) } },
      options,
    );
  }

  /** One page of executions, newest first. */
  async listExecutionsPage(
    query: RouteQuery<"listWorkflowExecutions"> = {},
    options?: RequestOptions,
  ): Promise<WorkflowExecutionPage> {
    return this.#transport.route("listWorkflowExecutions", { query }, options);
  }

  /** Every execution (of one workflow with `workflow_id`), fetched page by page as you iterate. */
  listExecutions(query: Omit<RouteQuery<"listWorkflowExecutions">, "cursor"> = {}, options?: RequestOptions) {
    return paginate((cursor) =>
      this.listExecutionsPage({ ...query, ...(cursor ? { cursor } : {}) }, options),
    );
  }

  /** Cancels an unfinished execution and the agent runs of its steps. */
  async cancel(executionId: string, options?: RequestOptions): Promise<WorkflowExecution> {
    return this.#transport.route(
      "cancelWorkflowExecution",
      { params: { execution_id: pathId("execution", executionId) } },
      options,
    );
  }

  /** Approves the step the execution waits on; it goes on. Needs `approvals:decide`. */
  async approve(executionId: string, comment?: string, options?: RequestOptions): Promise<WorkflowExecution> {
    return this.#decide(executionId, "approve", comment, options);
  }

  /** Denies it; the execution fails. */
  async deny(executionId: string, comment?: string, options?: RequestOptions): Promise<WorkflowExecution> {
    return this.#decide(executionId, "deny", comment, options);
  }

  /** Polls until the execution finishes (or waits for an approval, unless told otherwise). */
  async waitForExecution(
    executionId: string,
    settings: WaitForExecutionOptions = {},
  ): Promise<WorkflowExecution> {
    const until = Date.now() + (settings.timeoutMs ?? 300_000);
    const stopAtApproval = settings.stopAtApproval ?? true;
    for (;;) {
      const execution = await this.getExecution(
        executionId,
        settings.signal ? { signal: settings.signal } : {},
      );
      const finished = (FINISHED_WORKFLOW_STATUSES as readonly string[]).includes(execution.status);
      if (finished || (stopAtApproval && execution.status === "awaiting_approval")) return execution;
      if (Date.now() >= until)
        throw new SymbiontError(
          `Workflow execution ${executionId} is still ${execution.status} after the timeout`,
        );
      await new Promise((resolve) => setTimeout(resolve, settings.intervalMs ?? 1_000));
      if (settings.signal?.aborted) throw new SymbiontError("Waiting for the workflow execution was aborted");
    }
  }

  async #decide(
    executionId: string,
    decision: "approve" | "deny",
    comment: string | undefined,
    options?: RequestOptions,
  ) {
    return this.#transport.route(
      "decideWorkflowApproval",
      {
        params: { execution_id: pathId("execution", executionId) },
        body: { decision, comment: comment ?? null },
      },
      options,
    );
  }
}
