// The selected service's alerts on the dashboard: a shaded area per alert on each time
// chart, from when it fired to when it resolved (to now while it fires), coloured by
// severity, the rule's name and the summary on hover; a click opens the Alerts page
// with that alert's row marked.
// From the public API: `/alerts?service=&state=firing` (what fires now, also when it
// fired before the window) and `/alerts/history?service=&from=&to=` (what fired or
// resolved in the window). Drawn as the chart's first series' markArea, beside the
// Kubernetes episodes' markLine (event_markers.ts).

import { palette, type Chart } from "../charts";
import { esc, fmtTime } from "../format";
import { t } from "../i18n";
import type { Ctx } from "../page";
import { alerting, type Alert } from "./alerting";
import { sevColor } from "./kube";

/** Alerts drawn at most: the most severe, then the latest. */
const MAX_AREAS = 60;
const RANK: Record<string, number> = { critical: 0, warning: 1, info: 2 };

/** One alert's firing span, clipped to the window. */
interface Area {
  id: string;
  rule_id: string;
  severity: string;
  summary: string;
  from: number;
  to: number;
  firing: boolean;
}

/** Where an area was drawn, as the chart element's `data-alert-areas` says (x in pixels of the element). */
interface Drawn extends Area {
  rule: string;
  x0: number;
  x1: number;
}

export class AlertMarkers {
  private areas: Area[] = [];
  /** Rule names by id, read again only when an alert names a rule not seen yet. */
  private names = new Map<string, string>();

  /** Fetch the service's alerts for the window; a failure leaves none. */
  async refresh(ctx: Ctx, signal: AbortSignal): Promise<void> {
    const service = ctx.state.service;
    const w = ctx.window;
    const [firing, history] = await Promise.all([
      alerting.serviceAlerts(service, "firing", signal).then((b) => b.alerts, quiet),
      alerting.serviceHistory(service, w, signal).then((b) => b.history, quiet),
    ]);
    const now = Math.min(Date.now(), w.to);
    const spans = new Map<string, Area>();
    const add = (a: Alert, live: boolean) => {
      if (a.fired_at_ms === null) return;
      const resolved = a.state === "resolved" && a.resolved_at_ms !== null && a.resolved_at_ms >= a.fired_at_ms;
      const key = `${a.id}:${a.fired_at_ms}`;
      const known = spans.get(key);
      if (known && !live && (known.firing || !resolved)) return; // a resolved span, or the live one, wins
      spans.set(key, {
        id: a.id,
        rule_id: a.rule_id,
        severity: a.severity,
        summary: a.summary,
        from: a.fired_at_ms,
        to: resolved ? a.resolved_at_ms! : now,
        firing: live || !resolved,
      });
    };
    // Newest first: a span's resolved change comes before its firing one.
    for (const c of history ?? []) if (c.new === "firing" || c.new === "resolved") add(c.alert, false);
    for (const a of firing ?? []) add(a, true);
    this.areas = [...spans.values()]
      .filter((s) => s.to >= w.from && s.from <= w.to)
      .map((s) => ({ ...s, from: Math.max(s.from, w.from), to: Math.min(Math.max(s.to, s.from), w.to) }))
      .sort((a, b) => (RANK[a.severity] ?? 3) - (RANK[b.severity] ?? 3) || b.from - a.from)
      .slice(0, MAX_AREAS);
    if (this.areas.some((a) => !this.names.has(a.rule_id))) {
      const rules = await alerting.rules(signal).then((b) => b.rules, quiet);
      if (rules) this.names = new Map(rules.map((r) => [r.id, r.name]));
    }
  }

  /** Draw the areas on `chart`'s first series (merged: its data and markLine stay). */
  apply(chart: Chart, ctx: Ctx): void {
    if (chart.inst.isDisposed() || chart.el.dataset.points === undefined) return;
    const p = palette();
    const shown = this.areas;
    const rule = (a: Area) => this.names.get(a.rule_id) ?? a.rule_id;
    // An alert that fired a moment ago still gets a visible sliver (1/200 of the window).
    const w = ctx.window;
    const least = (w.to - w.from) / 200;
    const span = (a: Area): [number, number] => {
      const to = Math.min(w.to, Math.max(a.to, a.from + least));
      return [Math.min(a.from, to - least), to];
    };
    chart.merge({
      series: [
        {
          markArea: {
            silent: false,
            animation: false,
            // Above the series (z 2: the average's filled area would take the hover), below
            // the Kubernetes episodes' lines (markLine, z 5).
            z: 3,
            label: { show: false },
            emphasis: { label: { show: false }, itemStyle: { opacity: 0.35 } },
            tooltip: {
              trigger: "item",
              formatter: (it: { dataIndex: number }) => {
                const a = shown[it.dataIndex];
                if (!a) return "";
                const until = a.firing ? t("dash.alertNow") : fmtTime(a.to, true);
                return `<b>${esc(rule(a))}</b><br/>${esc(a.summary)}<br/>${esc(a.severity)} · ${fmtTime(a.from, true)} – ${esc(until)}`;
              },
            },
            data: shown.map((a) => [
              { name: rule(a), xAxis: span(a)[0], itemStyle: { color: sevColor(a.severity, p), opacity: a.firing ? 0.2 : 0.12 } },
              { xAxis: span(a)[1] },
            ]),
          },
        },
      ],
    });
    // One click handler per chart: a refresh replaces it instead of adding another.
    const old = clicks.get(chart);
    if (old) chart.inst.off("click", old);
    const onClick = (it: unknown) => {
      const ev = it as { componentType?: string; dataIndex?: number };
      const a = ev.componentType === "markArea" && ev.dataIndex !== undefined ? shown[ev.dataIndex] : undefined;
      if (a) ctx.navigate({ page: "alerts", sub: a.id, extra: {} });
    };
    chart.inst.on("click", onClick);
    clicks.set(chart, onClick);
    const drawn: Drawn[] = shown
      .map((a) => ({ ...a, rule: rule(a), x0: pixel(chart, span(a)[0]), x1: pixel(chart, span(a)[1]) }))
      .filter((d) => Number.isFinite(d.x0) && Number.isFinite(d.x1));
    chart.el.dataset.alertAreas = JSON.stringify(drawn);
  }
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
