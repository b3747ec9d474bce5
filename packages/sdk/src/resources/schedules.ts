import type { RouteBody, RouteResponse } from "@symbiont/protocol";
import type { RequestOptions } from "../options.js";
import type { Transport } from "../transport.js";
import { pathId } from "./path-id.js";

export type Schedule = RouteResponse<"getSchedule">;
export type ScheduleList = RouteResponse<"listSchedules">;
export type ScheduleHistory = RouteResponse<"scheduleHistory">;
export type ScheduleNextTimes = RouteResponse<"scheduleNextTimes">;

const params = (id: string) => ({ schedule_id: pathId("schedule", id) });

/**
 * Schedules that run an agent on a cron in a time zone (seconds-first six-field crons allowed) or
 * once at a time. Each slot fires at most once, across restarts and nodes.
 */
export class SchedulesResource {
  readonly #transport: Transport;

  constructor(transport: Transport) {
    this.#transport = transport;
  }

  async create(schedule: RouteBody<"createSchedule">, options?: RequestOptions): Promise<Schedule> {
    return this.#transport.route("createSchedule", { body: schedule }, options);
  }

  async list(agentId?: string, options?: RequestOptions): Promise<ScheduleList> {
    return this.#transport.route(
      "listSchedules",
      { query: agentId === undefined ? {} : { agent_id: agentId } },
      options,
    );
  }

  async get(id: string, options?: RequestOptions): Promise<Schedule> {
    return this.#transport.route("getSchedule", { params: params(id) }, options);
  }

  async update(
    id: string,
    changes: RouteBody<"updateSchedule">,
    options?: RequestOptions,
  ): Promise<Schedule> {
    return this.#transport.route("updateSchedule", { params: params(id), body: changes }, options);
  }

  async pause(id: string, options?: RequestOptions): Promise<Schedule> {
    return this.#transport.route("pauseSchedule", { params: params(id) }, options);
  }

  /** Fires again from the next slot after now; slots that passed while paused are not run. */
  async resume(id: string, options?: RequestOptions): Promise<Schedule> {
    return this.#transport.route("resumeSchedule", { params: params(id) }, options);
  }

  async delete(id: string, options?: RequestOptions): Promise<RouteResponse<"deleteSchedule">> {
    return this.#transport.route("deleteSchedule", { params: params(id) }, options);
  }

  /** The slots fired (or skipped as missed), newest first, with the run each started. */
  async history(id: string, limit?: number, options?: RequestOptions): Promise<ScheduleHistory> {
    return this.#transport.route(
      "scheduleHistory",
      { params: params(id), query: limit === undefined ? {} : { limit } },
      options,
    );
  }

  /** The coming fire times (UTC instants), `count` of them (default 5). */
  async nextTimes(id: string, count?: number, options?: RequestOptions): Promise<ScheduleNextTimes> {
    return this.#transport.route(
      "scheduleNextTimes",
      { params: params(id), query: count === undefined ? {} : { count } },
      options,
    );
  }
}
