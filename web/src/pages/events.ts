// Kubernetes events, kept and explained (issue 8): every episode of the time range on a
// timeline (a line from its first to its last sighting, a dot sized by its count,
// coloured by severity, one row per kind or per cluster) and in a table; filters in the
// URL; `#/events/<id>` opens one episode (event_detail.ts).

import type { KubeEvent } from "../api/types";
import { Chart, baseOption, palette, timeAxis } from "../charts";
import { emptyState, errorBox, h, html, nothing, Panel, view } from "../dom";
import { esc, fmtTime } from "../format";
import { t, tf } from "../i18n";
import type { Ctx, PageView } from "../page";
import { onlyPart, pinInto, registerPanelKind, type PanelParams } from "../pin";
import { EventDetail } from "./event_detail";
import { filterBar, kindLabel, KINDS, kube, options, SEVERITIES, sevBadge, sevColor, sevLabel, when } from "./kube";
import { onRowKey, table } from "./table";

/** Rows asked for; the API returns the latest first. */
const LIMIT = 500;

/** The page's own selection a pinned timeline is drawn with again (never the time range). */
const PINNED = ["cluster", "namespace", "kind", "severity", "svc", "pod", "q", "by"] as const;

registerPanelKind({
  kind: "events.timeline",
  title: (p) => [t("ev.timeline"), p.cluster, p.namespace, p.svc].filter(Boolean).join(" · "),
  w: 12,
  h: 4,
  create: () => onlyPart(new Events(), "#events-timeline-panel"),
});

export function createEvents(ctx: Ctx): PageView {
  if (ctx.state.sub) return new EventDetail(ctx.state.sub);
  return new Events();
}

class Events implements PageView {
  readonly el: HTMLElement;
  private readonly filters = h("div", { class: "filters", id: "event-filters" });
  private readonly timeline = new Panel(t("ev.timeline"), { id: "events-timeline-panel", hint: t("ev.timelineHint") });
  private readonly list = new Panel(t("ev.table"), { id: "events-panel", hint: t("ev.tableHint") });
  private readonly chart: Chart;
  private clusters: string[] = [];
  private loaded = false;
  /** What a pin of the timeline pins: the filters shown. */
  private shown: PanelParams = {};

  constructor() {
    const box = h("div", { class: "chart-box", id: "events-timeline" });
    this.timeline.body.append(box);
    this.chart = new Chart(box);
    pinInto(this.timeline.el, "events.timeline", () => this.shown);
    this.el = h("div", { class: "page events", id: "page-events" }, this.filters, this.timeline.el, this.list.el);
  }

  async refresh(ctx: Ctx, signal: AbortSignal): Promise<void> {
    const x = ctx.state.extra;
    this.shown = Object.fromEntries(PINNED.map((k) => [k, x[k] ?? ""]));
    let events: KubeEvent[];
    try {
      const [body, clusters] = await Promise.all([
        kube.events(
          {
            ...ctx.window,
            cluster: x.cluster,
            namespace: x.namespace,
            kind: x.kind,
            severity: x.severity,
            service: x.svc,
            pod: x.pod,
            q: x.q,
            limit: LIMIT,
          },
          signal,
        ),
        // Only for the cluster filter's options: the page works without it.
        kube.clusters(signal).catch((err: Error) => {
          if (err.name === "AbortError") throw err;
          return null;
        }),
      ]);
      events = body.events;
      if (clusters) this.clusters = clusters.clusters.map((c) => c.name);
    } catch (err) {
      if ((err as Error).name === "AbortError") throw err;
      this.list.setStatus(errorBox(err), this.loaded);
      this.timeline.setStatus(errorBox(err), this.loaded);
      return;
    }
    this.loaded = true;
    this.renderFilters(ctx, events);
    this.renderTimeline(ctx, events);
    this.renderTable(ctx, events);
  }

  private renderFilters(ctx: Ctx, events: KubeEvent[]): void {
    const x = ctx.state.extra;
    const by = x.by === "cluster" ? "cluster" : "kind";
    view(
      this.filters,
      html`${filterBar(
          ctx,
          "event-filter-form",
          [
            { name: "cluster", label: t("ev.cluster"), options: options([...this.clusters, ...events.map((e) => e.cluster)]) },
            { name: "namespace", label: t("ev.namespace"), options: options(events.map((e) => e.namespace)) },
            { name: "kind", label: t("ev.kind"), options: KINDS.map((k) => ({ value: k, label: kindLabel(k) })) },
            { name: "severity", label: t("ev.severity"), options: SEVERITIES.map((s) => ({ value: s, label: sevLabel(s) })) },
            { name: "svc", label: t("common.service"), options: options([...ctx.services.map((s) => s.name), ...events.map((e) => e.service)]) },
          ],
          { name: "q", label: t("ev.search") },
        )}
        <div class="filter-extra">
          ${x.pod
            ? html`<a class="chip" id="pod-filter" href=${ctx.href({ sub: "", extra: { ...x, pod: "" } })} title=${t("common.close")}>${t("ev.pod")}: ${x.pod} ×</a>`
            : nothing}
          <span class="tabs" role="group">
            ${(["kind", "cluster"] as const).map(
              (b) => html`<a class="btn seg ${by === b ? "on" : ""}" data-by=${b} href=${ctx.href({ sub: "", extra: { ...x, by: b === "kind" ? "" : b } })}
                >${t(b === "kind" ? "ev.byKind" : "ev.byCluster")}</a>`,
            )}
          </span>
        </div>`,
    );
  }

  private renderTimeline(ctx: Ctx, events: KubeEvent[]): void {
    const p = palette();
    const by = ctx.state.extra.by === "cluster" ? "cluster" : "kind";
    const row = (e: KubeEvent) => (by === "cluster" ? e.cluster : kindLabel(e.kind));
    // Rows in a stable order: kinds as the model lists them, clusters by name.
    const rows =
      by === "cluster"
        ? [...new Set(events.map(row))].sort()
        : KINDS.filter((k) => events.some((e) => e.kind === k)).map(kindLabel).concat([...new Set(events.filter((e) => !(KINDS as readonly string[]).includes(e.kind)).map(row))]);
    const w = ctx.window;
    const open = (id: string) => ctx.navigate({ sub: id });
    const series = SEVERITIES.flatMap((sev) => {
      const mine = events.filter((e) => e.severity === sev);
      return [
        {
          // first → last sighting; NaN breaks the line between episodes.
          type: "line",
          name: sevLabel(sev),
          silent: true,
          showSymbol: false,
          connectNulls: false,
          color: sevColor(sev, p),
          lineStyle: { width: 3, opacity: 0.55 },
          data: mine.flatMap((e) => [[Math.max(e.first_seen, w.from), row(e)], [Math.max(e.last_seen, w.from), row(e)], [NaN, NaN]]),
        },
        {
          type: "scatter",
          name: sevLabel(sev),
          color: sevColor(sev, p),
          symbolSize: (_v: unknown, it: { data: { count: number } }) => 7 + Math.min(10, Math.log2(1 + it.data.count) * 1.6),
          data: mine.map((e) => ({ value: [e.last_seen, row(e)], id: e.id, count: e.count, e })),
        },
      ];
    });
    this.chart.set(
      {
        ...baseOption(),
        legend: { ...(baseOption().legend as object), data: SEVERITIES.map(sevLabel) },
        grid: { left: 8, right: 24, top: 28, bottom: 8, containLabel: true },
        tooltip: {
          ...(baseOption().tooltip as object),
          trigger: "item",
          formatter: (it: { data?: { e?: KubeEvent } }) => {
            const e = it.data?.e;
            if (!e) return "";
            return `<b>${esc(e.summary)}</b><br/>${esc(kindLabel(e.kind))} · ${esc(e.cluster)}/${esc(e.namespace)} · ×${e.count}<br/>${fmtTime(e.first_seen, true)} – ${fmtTime(e.last_seen, true)}`;
          },
        },
        xAxis: timeAxis(w),
        yAxis: { type: "category", data: rows, inverse: true, axisLabel: { color: p.muted, interval: 0 }, axisLine: { lineStyle: { color: p.axis } }, splitLine: { show: true, lineStyle: { color: p.split } } },
        dataZoom: [{ type: "inside", filterMode: "none" }],
        series,
      },
      events.length,
      true,
    );
    this.chart.el.dataset.rows = JSON.stringify(rows);
    this.chart.inst.off("click");
    this.chart.inst.on("click", (it: unknown) => {
      const id = (it as { data?: { id?: string } }).data?.id;
      if (id) open(id);
    });
    // A row per category: the chart grows with them.
    this.chart.el.style.height = `${Math.max(160, 48 + rows.length * 26)}px`;
    this.timeline.setStatus(events.length ? null : emptyState(t("ev.none"), t("ev.noneBody")), events.length > 0);
  }

  private renderTable(ctx: Ctx, events: KubeEvent[]): void {
    this.list.setTitle(`${t("ev.table")} (${events.length >= LIMIT ? `${LIMIT}+` : events.length})`);
    if (!events.length) {
      view(this.list.body, nothing);
      this.list.setStatus(emptyState(t("ev.none"), t("ev.noneBody")));
      return;
    }
    const open = (e: KubeEvent) => () => ctx.navigate({ sub: e.id });
    view(
      this.list.body,
      html`${events.length >= LIMIT ? html`<p class="muted">${tf("ev.capped", { limit: LIMIT })}</p>` : nothing}
      ${table({
        id: "events-table",
        head: [t("ev.severity"), t("ev.kind"), t("ev.summary"), t("ev.object"), t("ev.count"), t("ev.firstSeen"), t("ev.lastSeen"), t("ev.cluster"), t("common.service")],
        rows: events,
        key: (e) => e.id,
        row: (e) => html`<tr class="clickable sev-row-${e.severity}" tabindex="0" data-event-id=${e.id} data-kind=${e.kind} data-severity=${e.severity}
            @click=${open(e)} @keydown=${onRowKey(open(e))}>
          <td>${sevBadge(e.severity)}</td>
          <td>${kindLabel(e.kind)}</td>
          <td class="summary" title=${e.message}>${e.summary}</td>
          <td class="object" title=${`${e.namespace}/${e.object_kind}/${e.object_name}`}>${e.object_kind}/${e.object_name}</td>
          <td class="num count">${e.count}</td>
          <td>${when(e.first_seen)}</td>
          <td>${when(e.last_seen)}</td>
          <td class="cluster">${e.cluster}${e.namespace ? html`<span class="muted"> / ${e.namespace}</span>` : nothing}</td>
          <td class="service">${e.service ?? "–"}</td>
        </tr>`,
      })}`,
    );
    this.list.setStatus(null);
  }

  dispose(): void {
    this.chart.dispose();
  }
}

