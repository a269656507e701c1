// The selected service's Kubernetes episodes on the dashboard: a vertical line per
// episode on each time chart, coloured by severity, its summary on hover (a click opens
// it); and the service's pods that died in the window, each saying why ("OOM-killed at
// 10:42, limit 256 MiB"). Both come from the public API (`/events?service=`,
// `/kube/pods?service=`); without Kubernetes they are simply empty.

import type { Window } from "../api";
import type { KubeEvent, KubePod } from "../api/types";
import { palette, type Chart } from "../charts";
import { html, nothing, view } from "../dom";
import { esc, fmtBytes, fmtTime } from "../format";
import { t, tf } from "../i18n";
import type { Ctx } from "../page";
import { kindLabel, kube, sevColor } from "./kube";

/** Episodes drawn at most: the most severe, then the latest. */
const MAX_MARKERS = 60;
const RANK: Record<string, number> = { critical: 0, warning: 1, info: 2 };

/** Where a marker was drawn, as the chart element's `data-markers` says (x in pixels of the element). */
interface Drawn {
  id: string;
  ts: number;
  severity: string;
  summary: string;
  x: number;
}

export class EventMarkers {
  private events: KubeEvent[] = [];
  private pods: KubePod[] = [];

  /** Fetch the service's episodes and pods for the window; a failure leaves none. */
  async refresh(ctx: Ctx, signal: AbortSignal): Promise<void> {
    const service = ctx.state.service;
    const [events, pods] = await Promise.all([
      kube.events({ ...ctx.window, service, limit: 500 }, signal).then((b) => b.events, quiet),
      kube.pods({ service }, signal).then((b) => b.pods, quiet),
    ]);
    const w = ctx.window;
    this.events = (events ?? [])
      .filter((e) => at(e, w) >= w.from && at(e, w) <= w.to)
      .filter((e) => !ctx.state.instance || !e.pod || ctx.instanceName(ctx.state.instance) === e.pod || ctx.state.instance === e.pod)
      .sort((a, b) => (RANK[a.severity] ?? 3) - (RANK[b.severity] ?? 3) || b.last_seen - a.last_seen)
      .slice(0, MAX_MARKERS);
    this.pods = pods ?? [];
  }

  /** Draw the markers on `chart`'s first series (merged: the chart's data stays). */
  apply(chart: Chart, ctx: Ctx): void {
    if (chart.inst.isDisposed() || chart.el.dataset.points === undefined) return;
    const p = palette();
    const w = ctx.window;
    const shown = this.events;
    chart.merge({
      series: [
        {
          markLine: {
            silent: false,
            symbol: ["none", "none"],
            animation: false,
            label: { show: false },
            emphasis: { label: { show: false }, lineStyle: { width: 3 } },
            tooltip: {
              trigger: "item",
              formatter: (it: { dataIndex: number }) => {
                const e = shown[it.dataIndex];
                return e ? `<b>${esc(e.summary)}</b><br/>${esc(kindLabel(e.kind))} · ${fmtTime(at(e, w), true)}${e.count > 1 ? ` · ×${e.count}` : ""}` : "";
              },
            },
            data: shown.map((e) => ({
              name: e.summary,
              xAxis: at(e, w),
              lineStyle: { color: sevColor(e.severity, p), width: 2, type: e.severity === "info" ? "dotted" : "dashed", opacity: 0.9 },
            })),
          },
        },
      ],
    });
    // One click handler per chart: a refresh replaces it instead of adding another.
    const old = clicks.get(chart);
    if (old) chart.inst.off("click", old);
    const onClick = (it: unknown) => {
      const ev = it as { componentType?: string; dataIndex?: number };
      const e = ev.componentType === "markLine" && ev.dataIndex !== undefined ? shown[ev.dataIndex] : undefined;
      if (e) ctx.navigate({ page: "events", sub: e.id, extra: {} });
    };
    chart.inst.on("click", onClick);
    clicks.set(chart, onClick);
    const drawn: Drawn[] = shown
      .map((e) => ({ id: e.id, ts: at(e, w), severity: e.severity, summary: e.summary, x: pixel(chart, at(e, w)) }))
      .filter((d) => Number.isFinite(d.x));
    chart.el.dataset.markers = JSON.stringify(drawn);
  }

  /** The service's pods whose container died in the window, each saying why. */
  renderNotes(el: HTMLElement, ctx: Ctx): void {
    const w = ctx.window;
    const notes = this.pods.flatMap((pod) =>
      pod.containers
        .filter((c) => c.last_termination && c.last_termination.finished_at >= w.from && c.last_termination.reason !== "Completed")
        .map((c) => {
          const term = c.last_termination!;
          const time = fmtTime(term.finished_at);
          const text =
            term.reason === "OOMKilled"
              ? tf("ev.podOom", { pod: pod.name, time, limit: c.memory.limit ? fmtBytes(c.memory.limit) : "–" })
              : tf("ev.podDied", { pod: pod.name, reason: term.reason, time });
          return { pod, container: c.name, reason: term.reason, text };
        }),
    );
    if (ctx.state.instance) {
      const name = ctx.instanceName(ctx.state.instance);
      notes.splice(0, notes.length, ...notes.filter((n) => n.pod.instance === ctx.state.instance || n.pod.name === name));
    }
    view(
      el,
      notes.length
        ? html`<div class="pod-notes" id="pod-notes"><b>${t("ev.podNotes")}</b>
            <ul>${notes.map(
              (n) => html`<li class=${n.reason === "OOMKilled" ? "bad-text" : "warn-text"} data-pod=${n.pod.name} data-instance=${n.pod.instance ?? ""}
                  data-reason=${n.reason} title=${`${n.pod.cluster}/${n.pod.namespace}/${n.pod.name} · ${n.container}`}>${n.text}</li>`,
            )}</ul></div>`
        : nothing,
    );
  }
}

/** Where an episode is drawn: its first sighting, or its last when it began before the window. */
function at(e: KubeEvent, w: Window): number {
  return e.first_seen >= w.from ? e.first_seen : e.last_seen;
}

function quiet(err: Error): null {
  if (err.name === "AbortError") throw err;
  return null;
}

const clicks = new WeakMap<Chart, (it: unknown) => void>();

/** Time `ts` in pixels of the chart element, or NaN. */
function pixel(chart: Chart, ts: number): number {
  try {
    const x = chart.inst.convertToPixel({ xAxisIndex: 0 }, ts) as unknown as number;
    return typeof x === "number" ? x : NaN;
  } catch {
    return NaN;
  }
}

