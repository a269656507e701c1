// Typed client for the public query API (/api/v1). The console reads nothing else.
// Request and answer types come from the server's OpenAPI document (api/types.ts).
// Every call carries the session's credentials as the server checks them: the
// `bongsu_session` cookie (the browser sends it), the CSRF header (the `bongsu_csrf`
// cookie's value) on every method but GET, and `X-Bongsu-Project` when a project is
// chosen (`access.ts`). A 401 from any call but the sign-in ones themselves sends the
// console to `#/login?next=<where it was>`; other errors (a 403 among them) reach the
// page as an `ApiError`, shown in its error box.

import type * as T from "./api/types";
import { chosenProject, setSession } from "./access";

export type {
  ActiveRequest,
  Capture,
  Heatmap,
  InstanceRow,
  LogRecord,
  MetricPoint,
  SeriesPoint,
  ServiceSummary,
  Span,
  StackFrame,
  ThreadInfo,
  TopoEdge,
  TopoNode,
  TraceSummary,
  Transaction,
} from "./api/types";

/** An API call that failed: HTTP status (0 for network errors), path and server detail. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly path: string,
    readonly detail: string,
  ) {
    super(status ? `HTTP ${status} ${path}: ${detail}` : `${path}: ${detail}`);
  }
}

type Params = Record<string, string | number | boolean | null | undefined>;

/** One timed API call, kept for the benchmark script and the status bar. */
export interface CallRecord {
  path: string;
  ms: number;
  status: number;
}

export const recentCalls: CallRecord[] = [];

function query(params: Params): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === "" || v === false) continue;
    q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : "";
}

export function get<T>(path: string, params: Params = {}, signal?: AbortSignal): Promise<T> {
  return call<T>("GET", path, params, undefined, signal);
}

export function post<T>(path: string, body: unknown, signal?: AbortSignal): Promise<T> {
  return call<T>("POST", path, {}, body, signal);
}

/** PUT, PATCH or DELETE; a 204 answers null. */
export function send<T>(method: "PUT" | "PATCH" | "DELETE", path: string, body?: unknown, signal?: AbortSignal): Promise<T | null> {
  return call<T | null>(method, path, {}, body, signal);
}

/** The value of cookie `name`, "" when unset. */
export function cookie(name: string): string {
  for (const part of document.cookie.split(";")) {
    const [k, ...v] = part.trim().split("=");
    if (k === name) return decodeURIComponent(v.join("="));
  }
  return "";
}

/** The headers a call to `path` carries besides its body's. */
export function authHeaders(method: string, path: string): Record<string, string> {
  const headers: Record<string, string> = {};
  if (method !== "GET" && method !== "HEAD") {
    const csrf = cookie("bongsu_csrf");
    if (csrf) headers["X-CSRF-Token"] = csrf;
  }
  // The session calls answer for the whole user: they take no project.
  const project = path.startsWith("/auth/") ? "" : chosenProject();
  if (project) headers["X-Bongsu-Project"] = project;
  return headers;
}

/** Where the console goes on a 401: the sign-in page, coming back here afterwards. */
export function toLogin(): void {
  const here = location.hash.replace(/^#\/?/, "");
  setSession(null); // ended (expired, signed out elsewhere): asked again after sign-in
  if (here.startsWith("login")) return;
  location.hash = `#/login${here ? `?next=${encodeURIComponent(here)}` : ""}`;
}

/** Calls whose 401 is their answer (a wrong password, not signed in yet), not a reason
 *  to leave the page. */
const AUTH_CALLS = /^\/(auth\/|invitations\/accept)/;

async function call<T>(method: string, path: string, params: Params, body: unknown, signal?: AbortSignal): Promise<T> {
  const url = `api/v1${path}${query(params)}`;
  const t0 = performance.now();
  let resp: Response;
  try {
    resp = await fetch(url, {
      method,
      signal,
      headers: {
        Accept: "application/json",
        ...(body === undefined ? {} : { "Content-Type": "application/json" }),
        ...authHeaders(method, path),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    if ((err as Error).name === "AbortError") throw err;
    throw new ApiError(0, path, (err as Error).message || "network error");
  }
  recentCalls.push({ path: url, ms: performance.now() - t0, status: resp.status });
  if (recentCalls.length > 200) recentCalls.splice(0, recentCalls.length - 200);
  if (!resp.ok) {
    let detail = resp.statusText;
    try {
      const body = (await resp.json()) as { detail?: unknown };
      if (body && body.detail !== undefined) {
        detail = typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail);
      }
    } catch {
      // body was not JSON: keep the status text
    }
    if (resp.status === 401 && !AUTH_CALLS.test(path)) toLogin();
    throw new ApiError(resp.status, path, detail);
  }
  // 204 and some 202s have no body.
  const text = await resp.text();
  return (text ? JSON.parse(text) : null) as T;
}

const enc = encodeURIComponent;

/** The time window every query is scoped to (epoch ms). */
export type Window = {
  from: number;
  to: number;
};

export const api = {
  services: (w: Window, s?: AbortSignal) =>
    get<T.ServicesBody>("/services", { ...w }, s),
  series: (svc: string, w: Window, step: number, instance?: string, s?: AbortSignal) =>
    get<T.SeriesBody>(`/services/${enc(svc)}/series`, { ...w, step, instance }, s),
  heatmap: (svc: string, w: Window, step: number, instance?: string, s?: AbortSignal) =>
    get<T.HeatmapBody>(`/services/${enc(svc)}/heatmap`, { ...w, step, instance }, s),
  transactions: (
    svc: string,
    p: { from: number; to: number; min_ms?: number; max_ms?: number; errors_only?: boolean; limit?: number; instance?: string },
    s?: AbortSignal,
  ) => get<T.TransactionsBody>(`/services/${enc(svc)}/transactions`, p, s),
  /** Instances seen in `w`, with TPS / response time over the last `window` seconds of it. */
  /** `window`: seconds of recent traffic, sent as the API takes it (a multiple of 10,
   *  at most 31 days), so any custom range works. */
  instances: (service: string | undefined, window: number, w: Window, s?: AbortSignal) =>
    get<T.InstancesBody>("/instances", { service, window: recentSeconds(window), ...w }, s),
  topology: (level: "service" | "instance", w: Window, s?: AbortSignal) =>
    get<T.TopologyBody>("/topology", { level, ...w }, s),
  traces: (p: Params, s?: AbortSignal) => get<T.TracesBody>("/traces", p, s),
  trace: (id: string, s?: AbortSignal) => get<T.TraceBody>(`/traces/${enc(id)}`, {}, s),
  metricSeries: (
    p: { name: string; service?: string; instance?: string; step: number; agg?: string } & Window,
    s?: AbortSignal,
  ) => get<T.MetricSeriesBody>("/metrics/series", p, s),
  activeRequests: (service?: string, instance?: string, s?: AbortSignal) =>
    get<T.ActiveRequestsBody>("/active-requests", { service, instance }, s),
  /** Ask an instance's agent for a capture; it answers on its next poll (~5 s). */
  requestCapture: (service: string, instance: string, kind = "threads", s?: AbortSignal) =>
    post<T.CaptureRequestBody>("/captures", { service, instance, kind }, s),
  captures: (p: { service?: string; instance?: string; kind?: string; limit?: number }, s?: AbortSignal) =>
    get<T.CapturesBody>("/captures", p, s),
  capture: (id: string, s?: AbortSignal) => get<T.CaptureBody>(`/captures/${enc(id)}`, {}, s),
};

function recentSeconds(seconds: number): number {
  return Math.min(31 * 86_400, Math.max(10, Math.ceil(seconds / 10) * 10));
}
