// What the Alerts, Rules and Channels pages share: the alert API's calls (GET/POST from
// api.ts; PUT and DELETE, which only these pages send, here) and a label-set renderer.

import { ApiError, get, post, send as sendCall } from "../api";
import type { Ok } from "../api/types";
import type { TemplateResult } from "lit-html";
import { html } from "../dom";

type Item<T> = T extends readonly (infer E)[] ? E : never;

export type Rule = Item<Ok<"/api/v1/rules">["rules"]>;
export type Alert = Item<Ok<"/api/v1/alerts">["alerts"]>;
export type Change = Item<Ok<"/api/v1/alerts/history">["history"]>;
export type Silence = Item<Ok<"/api/v1/silences">["silences"]>;
export type Channel = Item<Ok<"/api/v1/channels">["channels"]>;
export type Route = Item<Ok<"/api/v1/routes">["routes"]>;
export type Matcher = Item<Silence["matchers"]>;
export type Summary = Ok<"/api/v1/alerts/summary">;
export type ChannelTest = Ok<"/api/v1/channels/{channel_id}/test", "post">;

const enc = encodeURIComponent;

/** PUT or DELETE, failing like `get`/`post` do (an `ApiError` carrying the `detail`). */
function send<T>(method: "PUT" | "DELETE", path: string, body?: unknown): Promise<T | null> {
  return sendCall<T>(method, path, body);
}

export const alerting = {
  rules: (s?: AbortSignal) => get<Ok<"/api/v1/rules">>("/rules", {}, s),
  createRule: (body: unknown) => post<Rule>("/rules", body),
  putRule: (id: string, body: unknown) => send<Rule>("PUT", `/rules/${enc(id)}`, body),
  alerts: (state: string | undefined, s?: AbortSignal) => get<Ok<"/api/v1/alerts">>("/alerts", { state }, s),
  history: (s?: AbortSignal) => get<Ok<"/api/v1/alerts/history">>("/alerts/history", { limit: 100 }, s),
  silences: (s?: AbortSignal) => get<Ok<"/api/v1/silences">>("/silences", {}, s),
  createSilence: (body: unknown) => post<Silence>("/silences", body),
  channels: (s?: AbortSignal) => get<Ok<"/api/v1/channels">>("/channels", {}, s),
  createChannel: (body: unknown) => post<Channel>("/channels", body),
  routes: (s?: AbortSignal) => get<Ok<"/api/v1/routes">>("/routes", {}, s),
  createRoute: (body: unknown) => post<Route>("/routes", body),
  deleteRoute: (id: string) => send<null>("DELETE", `/routes/${enc(id)}`),
  deleteChannel: (id: string) => send<null>("DELETE", `/channels/${enc(id)}`),
  testChannel: (id: string) => post<ChannelTest>(`/channels/${enc(id)}/test`, undefined),
  summary: (s?: AbortSignal) => get<Summary>("/alerts/summary", {}, s),
  /** One service's alerts in a state (the dashboard's: what fires now). */
  serviceAlerts: (service: string, state: string, s?: AbortSignal) => get<Ok<"/api/v1/alerts">>("/alerts", { service, state }, s),
  /** One service's state changes in a window, newest first. */
  serviceHistory: (service: string, w: { from: number; to: number }, s?: AbortSignal) =>
    get<Ok<"/api/v1/alerts/history">>("/alerts/history", { service, from: Math.floor(w.from), to: Math.ceil(w.to), limit: 1000 }, s),
};

/** A label set as `key=value` chips, sorted by key. */
export function labelChips(labels: Readonly<Record<string, string>>): TemplateResult {
  return html`<span class="label-chips">${Object.keys(labels)
    .sort()
    .map((k) => html`<span class="chip" data-label=${k}>${k}=${labels[k]}</span>`)}</span>`;
}

/** Matchers as `name op value`, comma-separated. */
export function matcherText(ms: readonly Matcher[]): string {
  return ms.map((m) => `${m.name}${m.op}${m.value}`).join(", ");
}

/** The message of a failed call: the server's `detail` for an `ApiError`. */
export function errorText(err: unknown): string {
  return err instanceof ApiError ? err.detail : String((err as Error)?.message ?? err);
}

/** A 400's `detail` split on `; ` and put beside the form field each part names (its
 *  first segment: `matchers[0].value: ...` → matchers); a part naming no field goes under "". */
export function fieldErrors(detail: string, fields: readonly string[]): Partial<Record<string, string>> {
  const out: Partial<Record<string, string>> = {};
  // "; " also sits inside one message ("... than that; make x at least y"): a new part
  // starts only where a field name and a colon do.
  const parts: string[] = [];
  for (const piece of detail.split("; ")) {
    if (parts.length && !/^[\w.[\]]+: /.test(piece)) parts[parts.length - 1] += `; ${piece}`;
    else parts.push(piece);
  }
  for (const part of parts) {
    const head = part.split(":")[0].split(".")[0].split("[")[0].trim();
    const k = fields.includes(head) ? head : "";
    out[k] = out[k] ? `${out[k]}; ${part}` : part;
  }
  return out;
}

/** Before the alert's time, the window a dashboard link opens (as the server's links: 30 min). */
const DASHBOARD_BEFORE_MS = 30 * 60_000;

/** An alert's link (`/services/orders?to=<ms>`, `/events/<id>`) as the console's hash
 *  route, the same route the server's notifications link to (`console_route`). */
export function consoleHref(link: string): string {
  if (link.includes("://") || link.startsWith("#")) return link;
  const [path, query = ""] = link.split("?", 2);
  const segments = path.split("/").filter(Boolean);
  if (segments.length === 2 && segments[0] === "services") {
    const q = new URLSearchParams({ service: decodeURIComponent(segments[1]) });
    const to = new URLSearchParams(query).get("to") ?? "";
    if (/^\d+$/.test(to)) {
      q.set("range", "custom");
      q.set("from", String(Math.max(0, Number(to) - DASHBOARD_BEFORE_MS)));
      q.set("to", to);
    }
    return `#/dashboard?${q.toString()}`;
  }
  return `#/${segments.join("/")}${query ? `?${query}` : ""}`;
}
