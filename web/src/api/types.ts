// The API's types, generated from the server's OpenAPI document into schema.gen.ts
// (`npm run gen:api`; tests/web/test_api_types.py fails when that file is stale).
// The names page code imports (ServiceSummary, Span, …) are aliases into it.
//
// `Ok<path, Fallback>` is the JSON body of a 200 answer. While the server still
// declares a response without a model, the document says `unknown` and the alias falls
// back to the hand-written shape below; each one goes once its endpoint has a model.

import type { components, paths } from "./schema.gen";

export type { components, paths };

type Body<P extends keyof paths, M extends string> = paths[P] extends Record<
  M,
  { responses: { 200: { content: { "application/json": infer B } } } }
>
  ? B
  : never;

/** The 200 JSON body of `method path` in the OpenAPI document (`Fallback` while it has no model). */
export type Ok<P extends keyof paths, Fallback = never, M extends string = "get"> =
  unknown extends Body<P, M> ? Fallback : Body<P, M>;

type Item<T> = T extends readonly (infer E)[] ? E : never;

export type ServicesBody = Ok<"/api/v1/services", { services: Hand.ServiceSummary[] }>;
export type SeriesBody = Ok<"/api/v1/services/{service}/series", { step: number; points: Hand.SeriesPoint[] }>;
export type HeatmapBody = Ok<"/api/v1/services/{service}/heatmap", Hand.Heatmap>;
export type TransactionsBody = Ok<"/api/v1/services/{service}/transactions", { transactions: Hand.Transaction[] }>;
export type InstancesBody = Ok<"/api/v1/instances", { instances: Hand.InstanceRow[] }>;
export type TopologyBody = Ok<"/api/v1/topology", { nodes: Hand.TopoNode[]; edges: Hand.TopoEdge[] }>;
export type TracesBody = Ok<"/api/v1/traces", { traces: Hand.TraceSummary[] }>;
export type TraceBody = Ok<"/api/v1/traces/{trace_id}", { spans: Hand.Span[]; logs: Hand.LogRecord[] }>;
export type MetricSeriesBody = Ok<"/api/v1/metrics/series", { points: Hand.MetricPoint[] }>;
export type ActiveRequestsBody = Ok<
  "/api/v1/active-requests",
  { requests: Hand.ActiveRequest[]; instances: string[]; instance_names?: Record<string, string> }
>;
export type CapturesBody = Ok<"/api/v1/captures", { captures: Hand.Capture[] }>;
export type CaptureBody = Ok<"/api/v1/captures/{capture_id}", Hand.Capture>;
export type CaptureRequestBody = Ok<"/api/v1/captures", { id: string; status: string }, "post">;

export type ServiceSummary = Item<ServicesBody["services"]>;
export type SeriesPoint = Item<SeriesBody["points"]>;
export type Heatmap = HeatmapBody;
export type Transaction = Item<TransactionsBody["transactions"]>;
export type InstanceRow = Item<InstancesBody["instances"]>;
export type TopoNode = Item<TopologyBody["nodes"]>;
export type TopoEdge = Item<TopologyBody["edges"]>;
export type TraceSummary = Item<TracesBody["traces"]>;
export type Span = Item<TraceBody["spans"]>;
export type LogRecord = Item<TraceBody["logs"]>;
export type MetricPoint = Item<MetricSeriesBody["points"]>;
/** A request in flight now, from the agent's latest report (`elapsed_ms` as of the call). */
export type ActiveRequest = Item<ActiveRequestsBody["requests"]>;
export type Capture = CaptureBody;
/** One thread of a thread capture; `stack` is outermost call first. */
export type ThreadInfo = Hand.ThreadInfo;
export type StackFrame = Hand.StackFrame;

/** Shapes written by hand before the server declared response models. */
declare namespace Hand {
  interface ServiceSummary {
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

  interface SeriesPoint {
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

  interface Heatmap {
    step: number;
    bounds_ms: number[];
    cells: { ts: number; bucket: number; count: number; errors: number }[];
  }

  interface Transaction {
    trace_id: string;
    span_id: string;
    ts: number;
    name: string;
    duration_ms: number;
    status: string;
    instance: string;
    /** k8s.pod.name, else host.name:pid, else the id. */
    instance_name?: string;
    http_status: number | null;
  }

  interface InstanceRow {
    service: string;
    instance: string;
    instance_name?: string;
    last_seen: number;
    tps: number;
    avg_ms: number;
    error_rate: number;
  }

  interface TopoNode {
    id: string;
    kind: string;
    /** What people call the node (service, pod or host name, database). */
    name?: string;
    service?: string;
    instance?: string;
    /** k8s.pod.name, else host.name:pid, else the id. */
    instance_name?: string;
  }

  interface TopoEdge {
    source: string;
    target: string;
    calls: number;
    tps: number;
    avg_ms: number;
    error_rate: number;
  }

  interface TraceSummary {
    trace_id: string;
    root_service: string;
    root_name: string;
    start: number;
    duration_ms: number;
    span_count: number;
    error: boolean;
  }

  interface Span {
    span_id: string;
    parent_span_id: string | null;
    service: string;
    instance: string;
    /** k8s.pod.name, else host.name:pid, else the id. */
    instance_name?: string;
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

  interface LogRecord {
    ts?: number;
    severity?: string;
    body?: string;
    service?: string;
    instance?: string;
    /** k8s.pod.name, else host.name:pid, else the id. */
    instance_name?: string;
    trace_id?: string;
    span_id?: string;
    [key: string]: unknown;
  }

  interface MetricPoint {
    ts: number;
    value: number;
  }

  /** A request in flight now, from the agent's latest report (`elapsed_ms` as of the call). */
  interface ActiveRequest {
    service: string;
    instance: string;
    /** k8s.pod.name, else host.name:pid, else the id. */
    instance_name?: string;
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

  interface StackFrame {
    file: string;
    line: number;
    function: string;
    code?: string;
  }

  /** One thread of a thread capture; `stack` is outermost call first. */
  interface ThreadInfo {
    id: number;
    native_id?: number;
    name: string;
    daemon?: boolean;
    state: string;
    stack: StackFrame[];
    request: ActiveRequest | null;
  }

  interface Capture {
    id: string;
    service: string;
    instance: string;
    /** k8s.pod.name, else host.name:pid, else the id. */
    instance_name?: string;
    kind: string;
    status: "pending" | "done" | "failed";
    captured_at?: number;
    requested_at?: number;
    summary?: { ok?: boolean; error?: string; threads?: number; serving_requests?: number; host?: string; pid?: number; requested_at?: number };
    payload?: { captured_at_unix_nano?: number; thread_count?: number; threads?: ThreadInfo[] };
  }
}
