import { routes } from "@symbiont/protocol";
import { bindRoute, type RouteBindingContext } from "../server/route-binding.js";
import type { ScheduleService } from "./schedule-service.js";

export function registerScheduleRoutes(context: RouteBindingContext, schedules: ScheduleService): void {
  bindRoute(context, routes.createSchedule, ({ scope, body }) => schedules.create(scope, body));
  bindRoute(context, routes.listSchedules, ({ scope, query }) => schedules.list(scope, query.agent_id));
  bindRoute(context, routes.getSchedule, ({ scope, params }) => schedules.get(scope, params.schedule_id));
  bindRoute(context, routes.updateSchedule, ({ scope, params, body }) =>
    schedules.update(scope, params.schedule_id, body),
  );
  bindRoute(context, routes.pauseSchedule, ({ scope, params }) => schedules.pause(scope, params.schedule_id));
  bindRoute(context, routes.resumeSchedule, ({ scope, params }) =>
    schedules.resume(scope, params.schedule_id),
  );
  bindRoute(context, routes.deleteSchedule, ({ scope, params }) =>
    schedules.delete(scope, params.schedule_id),
  );
  bindRoute(context, routes.scheduleHistory, ({ scope, params, query }) =>
    schedules.history(scope, params.schedule_id, query.limit),
  );
  bindRoute(context, routes.scheduleNextTimes, ({ scope, params, query }) =>
    schedules.nextTimes(scope, params.schedule_id, query.count),
  );
}
