// Typed client for the public query API (/api/v1). The console reads nothing else.

export interface ServiceSummary {
  name: string;
  transactions: number;
  tps: number;
  error_rate: number;
  avg_ms: number;
  p95_ms: number;
  apdex: number;
  instances: number;
  active_users?: number;
}

export interface SeriesPoint {
  ts: number;
  transactions: number;
  tps: number;
  errors: number;
  error_rate: number;
  avg_ms: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
  apdex: number;
}

export interface Heatmap {
  step: number;
  bounds_ms: number[];
  cells: { ts: number; bucket: number; count: number; errors: number }[];
}

export interface Transaction {
  trace_id: string;
  span_id: string;
  ts: number;
  name: string;
  duration_ms: number;
  status: string;
  instance: string;
  http_status: number | null;
}

export interface InstanceRow {
  service: string;
  instance: string;
  instance_name?: string;
  last_seen: number;
  tps: number;
  avg_ms: number;
  error_rate: number;
}

export interface TopoNode {
  id: string;
  kind: string;
  service?: string;
  instance?: string;
}

export interface TopoEdge {
  source: string;
  target: string;
  calls: number;
  tps: number;
  avg_ms: number;
  error_rate: number;
}

export interface TraceSummary {
  trace_id: string;
  root_service: string;
  root_name: string;
  start: number;
  duration_ms: number;
  span_count: number;
  error: boolean;
}

export interface Span {
  span_id: string;
  parent_span_id: string | null;
  service: string;
  instance: string;
  name: string;
  kind: string;
  start: number;
  duration_ms: number;
  status: string;
  status_message?: string;
  error?: boolean;
  attributes: Record<string, unknown>;
  /** Span events; an `exception` event carries `exception.type/message/stacktrace`. */
  events?: { name: string; ts?: number; attributes?: Record<string, unknown> }[];
}

export interface LogRecord {
  ts?: number;
  severity?: string;
  body?: string;
  service?: string;
  instance?: string;
  trace_id?: string;
  span_id?: string;
  [key: string]: unknown;
}

export interface MetricPoint {
  ts: number;
  value: number;
}

/** A request in flight now, from the agent's latest report (`elapsed_ms` as of the call). */
export interface ActiveRequest {
  service: string;
  instance: string;
  host?: string | null;
  pid?: number | null;
  reported_at?: number;
  trace_id: string;
  span_id: string;
  method: string;
  url: string;
  route: string;
  start_unix_nano: number;
  elapsed_ms: number;
  thread_id?: number;
  thread_name?: string;
  sampled?: boolean;
}

export interface StackFrame {
  file: string;
  line: number;
  function: string;
  code?: string;
}

/** One thread of a thread capture; `stack` is outermost call first. */
export interface ThreadInfo {
  id: number;
  native_id?: number;
  name: string;
  daemon?: boolean;
  state: string;
  stack: StackFrame[];
  request: ActiveRequest | null;
}

export interface Capture {
  id: string;
  service: string;
  instance: string;
  kind: string;
  status: "pending" | "done" | "failed";
  captured_at?: number;
  requested_at?: number;
  summary?: { ok?: boolean; error?: string; threads?: number; serving_requests?: number; host?: string; pid?: number; requested_at?: number };
  payload?: { captured_at_unix_nano?: number; thread_count?: number; threads?: ThreadInfo[] };
}

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

async function call<T>(method: string, path: string, params: Params, body: unknown, signal?: AbortSignal): Promise<T> {
  const url = `api/v1${path}${query(params)}`;
  const t0 = performance.now();
  let resp: Response;
  try {
    resp = await fetch(url, {
      method,
      signal,
      headers: body === undefined ? { Accept: "application/json" } : { Accept: "application/json", "Content-Type": "application/json" },
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
    throw new ApiError(resp.status, path, detail);
  }
  return (await resp.json()) as T;
}

const enc = encodeURIComponent;

/** The time window every query is scoped to (epoch ms). */
export type Window = {
  from: number;
  to: number;
};

export const api = {
  services: (w: Window, s?: AbortSignal) =>
    get<{ services: ServiceSummary[] }>("/services", { ...w }, s),
  series: (svc: string, w: Window, step: number, instance?: string, s?: AbortSignal) =>
    get<{ step: number; points: SeriesPoint[] }>(`/services/${enc(svc)}/series`, { ...w, step, instance }, s),
  heatmap: (svc: string, w: Window, step: number, instance?: string, s?: AbortSignal) =>
    get<Heatmap>(`/services/${enc(svc)}/heatmap`, { ...w, step, instance }, s),
  transactions: (
    svc: string,
    p: { from: number; to: number; min_ms?: number; max_ms?: number; errors_only?: boolean; limit?: number; instance?: string },
    s?: AbortSignal,
  ) => get<{ transactions: Transaction[] }>(`/services/${enc(svc)}/transactions`, p, s),
  /** Instances seen in `w`, with TPS / response time over the last `window` seconds of it. */
  instances: (service: string | undefined, window: number, w: Window, s?: AbortSignal) =>
    get<{ instances: InstanceRow[] }>("/instances", { service, window, ...w }, s),
  topology: (level: "service" | "instance", w: Window, s?: AbortSignal) =>
    get<{ nodes: TopoNode[]; edges: TopoEdge[] }>("/topology", { level, ...w }, s),
  traces: (p: Params, s?: AbortSignal) => get<{ traces: TraceSummary[] }>("/traces", p, s),
  trace: (id: string, s?: AbortSignal) => get<{ spans: Span[]; logs: LogRecord[] }>(`/traces/${enc(id)}`, {}, s),
  metricSeries: (
    p: { name: string; service?: string; instance?: string; step: number; agg?: string } & Window,
    s?: AbortSignal,
  ) => get<{ points: MetricPoint[] }>("/metrics/series", p, s),
  activeRequests: (service?: string, instance?: string, s?: AbortSignal) =>
    get<{ requests: ActiveRequest[]; instances: string[] }>("/active-requests", { service, instance }, s),
  /** Ask an instance's agent for a capture; it answers on its next poll (~5 s). */
  requestCapture: (service: string, instance: string, kind = "threads", s?: AbortSignal) =>
    post<{ id: string; status: string }>("/captures", { service, instance, kind }, s),
  captures: (p: { service?: string; instance?: string; kind?: string; limit?: number }, s?: AbortSignal) =>
    get<{ captures: Capture[] }>("/captures", p, s),
  capture: (id: string, s?: AbortSignal) => get<Capture>(`/captures/${enc(id)}`, {}, s),
};
