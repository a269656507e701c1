// What the Kubernetes pages (Events, Containers, Clusters, Ingress) and the dashboard's
// event markers share: the API calls, severity colours, and the filter bar whose values
// live in the URL (`#/events?cluster=private&severity=critical`), so a link reproduces
// the view.

import { get, type Window } from "../api";
import type * as T from "../api/types";
import type { Palette } from "../charts";
import type { TemplateResult } from "lit-html";
import { html } from "../dom";
import { fmtTime } from "../format";
import { t, type Key } from "../i18n";
import type { Ctx } from "../page";

const enc = encodeURIComponent;

type Maybe = string | undefined;

export const kube = {
  events: (
    p: Partial<Window> & { cluster?: Maybe; namespace?: Maybe; kind?: Maybe; severity?: Maybe; service?: Maybe; pod?: Maybe; q?: Maybe; limit?: number },
    s?: AbortSignal,
  ) => get<T.EventsBody>("/events", p, s),
  event: (id: string, s?: AbortSignal) => get<T.EventDetail>(`/events/${enc(id)}`, {}, s),
  clusters: (s?: AbortSignal) => get<T.ClustersBody>("/kube/clusters", {}, s),
  pods: (p: { cluster?: Maybe; namespace?: Maybe; service?: Maybe }, s?: AbortSignal) => get<T.PodsBody>("/kube/pods", p, s),
  ingresses: (p: Window & { cluster?: Maybe; namespace?: Maybe }, s?: AbortSignal) => get<T.IngressesBody>("/kube/ingresses", p, s),
  traffic: (service: string, w: Window, step: number, s?: AbortSignal) =>
    get<T.TrafficBody>("/kube/traffic", { service, ...w, step }, s),
};

export const SEVERITIES: readonly T.Severity[] = ["critical", "warning", "info"];

export const KINDS = [
  "crash_loop", "image_pull", "evicted", "volume_mount", "scheduling", "hostport_conflict",
  "node_not_ready", "node_ready", "node_rebooted", "oom_killed", "container_restart",
  "readiness", "hpa_scale_out", "hpa_scale_in", "rollout", "pod_started", "other",
] as const;

export function sevColor(sev: string, p: Palette): string {
  return sev === "critical" ? p.bad : sev === "warning" ? p.warn : p.series[0];
}

/** The label of a Bongsu event kind (`crash_loop` → "Crash loop"); unknown kinds as sent. */
export function kindLabel(kind: string): string {
  const key = `ev.kind.${kind}` as Key;
  return t(key) ?? kind;
}

export function sevLabel(sev: string): string {
  return t(`ev.sev.${sev}` as Key) ?? sev;
}

export function sevBadge(sev: string): TemplateResult {
  return html`<span class="badge sev-badge sev-${sev}" data-severity=${sev}>${sevLabel(sev)}</span>`;
}

/** One filter of a page's filter bar: a URL parameter and the values it offers. */
export interface Filter {
  name: string;
  label: string;
  options: readonly { value: string; label: string }[];
  /** The label of the empty value (default "Any"). */
  empty?: string;
}

/**
 * A filter bar: a `<select>` per filter and, with `search`, a text box (submitted on
 * Enter or change). A change writes the page's parameters into the URL, which rebuilds
 * the page for them.
 */
export function filterBar(ctx: Ctx, id: string, filters: readonly Filter[], search?: { name: string; label: string }): TemplateResult {
  const x = ctx.state.extra;
  const set = (name: string, value: string) => {
    const extra = { ...x, [name]: value.trim() };
    for (const [k, v] of Object.entries(extra)) if (!v) delete extra[k];
    ctx.navigate({ extra, sub: "" });
  };
  const current = (f: Filter) => x[f.name] ?? "";
  return html`<form class="search-form filter-bar" id=${id} @submit=${(e: Event) => e.preventDefault()}>
    ${filters.map((f) => {
      // A value from the URL stays selectable even when nothing has it now.
      const opts = f.options.some((o) => o.value === current(f)) || !current(f) ? f.options : [...f.options, { value: current(f), label: current(f) }];
      return html`<label class="field"><span>${f.label}</span>
        <select name=${f.name} id=${`f-${f.name}`} @change=${(e: Event) => set(f.name, (e.target as HTMLSelectElement).value)}>
          <option value="" ?selected=${!current(f)}>${f.empty ?? t("common.any")}</option>
          ${opts.map((o) => html`<option value=${o.value} ?selected=${o.value === current(f)}>${o.label}</option>`)}
        </select></label>`;
    })}
    ${search
      ? html`<label class="field"><span>${search.label}</span>
          <input type="search" name=${search.name} id=${`f-${search.name}`} .value=${x[search.name] ?? ""}
            @change=${(e: Event) => set(search.name, (e.target as HTMLInputElement).value)} /></label>`
      : null}
  </form>`;
}

/** Sorted distinct non-empty values, as filter options. */
export function options(values: Iterable<string | null | undefined>, label: (v: string) => string = (v) => v): { value: string; label: string }[] {
  return [...new Set([...values].filter((v): v is string => !!v))].sort().map((v) => ({ value: v, label: label(v) }));
}

/** A bar showing `fraction` of a limit: green, amber past 80 %, red past 90 %. */
export function meter(fraction: number | null | undefined, text: string, title: string): TemplateResult {
  const f = fraction ?? null;
  const level = f === null ? "none" : f >= 0.9 ? "bad" : f >= 0.8 ? "warn" : "good";
  const width = f === null ? 0 : Math.min(100, Math.max(0, f * 100));
  return html`<div class="meter meter-${level}" title=${title} data-fraction=${f === null ? "" : String(f)}>
    <span class="meter-bar"><i style="width:${width.toFixed(1)}%"></i></span><span class="meter-text">${text}</span>
  </div>`;
}

/** A time of today as `22:13:52`, of another day with its date. */
export function when(ts: number): string {
  const d = new Date(ts);
  const today = new Date();
  const same = d.getFullYear() === today.getFullYear() && d.getMonth() === today.getMonth() && d.getDate() === today.getDate();
  return fmtTime(ts, !same);
}
