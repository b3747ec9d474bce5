import { timingSafeEqual } from "node:crypto";
import { BlockList, isIP } from "node:net";
import type { FastifyInstance } from "fastify";
import { digestSecret } from "../identity/api-key-format.js";
import { AppError } from "../server/app-error.js";
import { sendError } from "../server/error-handler.js";
import type { RequestObserver } from "../server/request-observer.js";
import type { PrometheusMetrics } from "./prometheus.js";

export interface ScrapeAccess {
  /** Addresses and CIDR ranges that may scrape without a token. */
  allowlist: readonly string[];
  /** A bearer token that may scrape from anywhere; unset = only the allowlist. */
  token: string | undefined;
}

/** `10.0.0.0/8`, `::1`, `192.168.1.7` into a BlockList (IPv4-mapped IPv6 callers match IPv4 entries). */
export function addressList(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [address = "", bits] = entry.split("/");
    const family = isIP(address) === 6 ? "ipv6" : "ipv4";
    if (bits === undefined) list.addAddress(address, family);
    else list.addSubnet(address, Number(bits), family);
  }
  return list;
}

function allowed(list: BlockList, ip: string): boolean {
  if (isIP(ip) === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1];
    if (mapped && list.check(mapped, "ipv4")) return true;
    return list.check(ip, "ipv6");
  }
  return list.check(ip, "ipv4");
}

/**
 * Prometheus exposition at `/metrics` (outside the API: scrapers expect it there). Instance-wide
 * numbers are for operators, so the route is closed but to the allowlist (loopback by default) and
 * to holders of the scrape token.
 */
export function registerMetricsRoute(
  app: FastifyInstance,
  metrics: PrometheusMetrics,
  access: () => ScrapeAccess,
  observer: RequestObserver,
): void {
  let cachedList: { entries: readonly string[]; list: BlockList } | undefined;
  const listOf = (entries: readonly string[]) => {
    if (cachedList?.entries !== entries) cachedList = { entries, list: addressList(entries) };
    return cachedList.list;
  };
  app.get("/metrics", async (request, reply) => {
    const { allowlist, token } = access();
    const header = request.headers.authorization;
    const presented = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? "")?.[1];
    const tokenOk =
      token !== undefined &&
      presented !== undefined &&
      timingSafeEqual(digestSecret(presented), digestSecret(token));
    if (!tokenOk && !allowed(listOf(allowlist), request.ip)) {
      const error =
        presented !== undefined
          ? new AppError("UNAUTHENTICATED", "Invalid scrape token for /metrics")
          : new AppError(
              "FORBIDDEN",
              `This address may not scrape /metrics: send the scrape token (metricsScrapeToken) or add the address to metricsAllowlist`,
            );
      return sendError(observer, request, reply, error);
    }
    reply.header("content-type", metrics.contentType).header("cache-control", "no-store");
    return metrics.exposition();
  });
}
