// The API's types, generated from the server's OpenAPI document into schema.gen.ts
// (`npm run gen:api`; tests/web/test_api_types.py fails when that file is stale).
// The names page code imports (ServiceSummary, Span, …) are aliases into it.

import type { components, paths } from "./schema.gen";

export type { components, paths };

type Body<P extends keyof paths, M extends string> = paths[P] extends Record<
  M,
  { responses: { 200: { content: { "application/json": infer B } } } }
>
  ? B
  : never;

/** The 200 JSON body of `method path` in the OpenAPI document. */
export type Ok<P extends keyof paths, M extends string = "get"> = Body<P, M>;

type Item<T> = T extends readonly (infer E)[] ? E : never;

/**
 * The generated `T` with fields `K` present and never null: what page code still
 * assumes where the API may send null (no transactions in the window: no average) or
 * leave a field out (agent-reported requests). Each key listed is page code to teach
 * about the gap; the alias then becomes the plain generated type. (Found by removing
 * each key and running tsc: every key left here is needed by some page today.)
 */
type Assumed<T, K extends keyof T> = Without<T, K> & { [P in K]-?: NonNullable<T[P]> };

/** `Omit` that keeps the declared fields of a type with an index signature (`Omit`
 *  keeps only the signature). */
type Without<T, K> = { [P in keyof T as P extends K ? never : P]: T[P] };

/** A generated body with the list `K` holding `T` (an `Assumed` row) instead. */
type Rows<B, K extends keyof B, T> = Without<B, K> & { [P in K]: T[] };

type Gen = {
  services: Ok<"/api/v1/services">;
  series: Ok<"/api/v1/services/{service}/series">;
  instances: Ok<"/api/v1/instances">;
  trace: Ok<"/api/v1/traces/{trace_id}">;
  active: Ok<"/api/v1/active-requests">;
  captures: Ok<"/api/v1/captures">;
  capture: Ok<"/api/v1/captures/{capture_id}">;
  metric: Ok<"/api/v1/metrics/series">;
};

export type ServiceSummary = Assumed<Item<Gen["services"]["services"]>, "apdex" | "error_rate" | "avg_ms">;
export type SeriesPoint = Assumed<Item<Gen["series"]["points"]>, "avg_ms" | "p95_ms" | "error_rate">;
export type Heatmap = Ok<"/api/v1/services/{service}/heatmap">;
export type Transaction = Item<Ok<"/api/v1/services/{service}/transactions">["transactions"]>;
export type InstanceRow = Assumed<Item<Gen["instances"]["instances"]>, "avg_ms" | "error_rate">;
export type TopoNode = Item<Ok<"/api/v1/topology">["nodes"]>;
export type TopoEdge = Item<Ok<"/api/v1/topology">["edges"]>;
export type TraceSummary = Item<Ok<"/api/v1/traces">["traces"]>;
export type Span = Item<Gen["trace"]["spans"]>;
/** A log record; fields beyond the declared ones (`severity_text`, `message`) may appear. */
export type LogRecord = Item<Gen["trace"]["logs"]> & Record<string, unknown>;
export type MetricPoint = Assumed<Item<Gen["metric"]["points"]>, "value">;
/** A request in flight now, from the agent's latest report (`elapsed_ms` as of the call). */
export type ActiveRequest = Assumed<
  Item<Gen["active"]["requests"]>,
  "trace_id" | "start_unix_nano" | "elapsed_ms"
>;
/** A capture; the API leaves `payload` and `summary` open (their shape is the kind's). */
export type Capture = Without<Gen["capture"], "payload" | "summary" | "instance_name"> & {
  instance_name?: string;
  summary?: ThreadsSummary | null;
  payload?: ThreadsPayload | null;
};

// What the client returns: the generated bodies, with the rows above.
export type ServicesBody = Rows<Gen["services"], "services", ServiceSummary>;
export type SeriesBody = Rows<Gen["series"], "points", SeriesPoint>;
export type HeatmapBody = Heatmap;
export type TransactionsBody = Ok<"/api/v1/services/{service}/transactions">;
export type InstancesBody = Rows<Gen["instances"], "instances", InstanceRow>;
export type TopologyBody = Ok<"/api/v1/topology">;
export type TracesBody = Ok<"/api/v1/traces">;
export type TraceBody = Rows<Gen["trace"], "logs", LogRecord>;
export type MetricSeriesBody = Rows<Gen["metric"], "points", MetricPoint>;
export type ActiveRequestsBody = Rows<Gen["active"], "requests", ActiveRequest>;
export type CapturesBody = Rows<Gen["captures"], "captures", Capture>;
export type CaptureBody = Capture;
export type CaptureRequestBody = Ok<"/api/v1/captures", "post">;

/** `summary` of a `threads` capture, as the agent writes it. */
export type ThreadsSummary = { ok?: boolean; error?: string; threads?: number; serving_requests?: number; host?: string; pid?: number; requested_at?: number };

/** `payload` of a `threads` capture, as the agent writes it. */
export type ThreadsPayload = { captured_at_unix_nano?: number; thread_count?: number; threads?: ThreadInfo[] };

export interface StackFrame {
  file: string;
  line: number;
  function: string;
  code?: string;
}

export interface ThreadInfo {
  id: number;
  native_id?: number;
  name: string;
  daemon?: boolean;
  state: string;
  stack: StackFrame[];
  request: ActiveRequest | null;
}

// Kubernetes (/api/v1/events, /api/v1/kube/*): episodes, clusters, pods, ingress routes,
// traffic per cluster.

export type EventsBody = Ok<"/api/v1/events">;
/** One episode: the same involved object + reason + reporting component (epoch ms). */
export type KubeEvent = Item<EventsBody["events"]>;
export type Severity = KubeEvent["severity"];
/** An episode with its count over time and the raw Kubernetes object behind it. */
export type EventDetail = Ok<"/api/v1/events/{id}">;
export type ClustersBody = Ok<"/api/v1/kube/clusters">;
export type KubeCluster = Item<ClustersBody["clusters"]>;
export type PodsBody = Ok<"/api/v1/kube/pods">;
export type KubePod = Item<PodsBody["pods"]>;
export type KubeContainer = Item<KubePod["containers"]>;
/** CPU (cores) or memory (bytes) of a container: usage, request, limit and fractions. */
export type KubeResource = KubeContainer["cpu"];
export type KubeTermination = NonNullable<KubeContainer["last_termination"]>;
export type IngressesBody = Ok<"/api/v1/kube/ingresses">;
export type KubeIngressRoute = Item<IngressesBody["routes"]>;
export type TrafficBody = Ok<"/api/v1/kube/traffic">;
export type KubeTrafficCluster = Item<TrafficBody["clusters"]>;
