// The service dashboard (F3): tiles, T-Map, response time / error rate, memory,
// DB connections, per-instance last 10 s and request velocity; the service's Kubernetes
// episodes (event_markers.ts) and alerts (alert_markers.ts) drawn on the time charts.
// Every tile and chart has a pin control (pin.ts); a pinned one is drawn on My dashboard
// by this same class built for that part alone (`new Dashboard(part)`).

import { api, get, type ServiceSummary } from "../api";
import { Chart, baseOption, palette, timeAxis, valueAxis } from "../charts";
import { emptyState, errorBox, h, Panel } from "../dom";
import { fmtBytes, fmtMs, fmtNum, fmtPct } from "../format";
import { t, type Key } from "../i18n";
import { memoryMetric } from "../metrics";
import { OomVerdictCard } from "./oom_verdict";
import { pinInto, registerPanelKind, type PanelParams } from "../pin";
import type { Ctx, PageView } from "../page";
import { seriesStep } from "../state";
import { AlertMarkers } from "./alert_markers";
import { EventMarkers } from "./event_markers";
import { InstanceNames, markLabels, nameOf } from "./names";
import { TMap } from "./tmap";
import { Velocity } from "./velocity";

const DB_CONNECTIONS = "db.client.connections.usage";

/** The parts of the dashboard one can pin, each a panel kind `dashboard.<part>`: its
 *  label and default size on My dashboard (grid units). */
const PARTS = {
  apdex: { key: "dash.apdex", w: 3, h: 2 },
  users: { key: "dash.activeUsers", w: 3, h: 2 },
  tps: { key: "dash.tps", w: 3, h: 2 },
  errors: { key: "dash.errorRate", w: 3, h: 2 },
  avg: { key: "dash.avgResponse", w: 3, h: 2 },
  tmap: { key: "dash.tmap", w: 12, h: 5 },
  response: { key: "dash.avgChart", w: 6, h: 4 },
  "error-rate": { key: "dash.errorChart", w: 6, h: 4 },
  memory: { key: "dash.memory", w: 6, h: 4 },
  db: { key: "dash.dbConnections", w: 6, h: 4 },
  instances: { key: "dash.instance10s", w: 6, h: 4 },
  velocity: { key: "dash.velocity", w: 6, h: 4 },
} as const satisfies Record<string, { key: Key; w: number; h: number }>;
type Part = keyof typeof PARTS;
const TILE_PARTS: readonly Part[] = ["apdex", "users", "tps", "errors", "avg"];

for (const [part, d] of Object.entries(PARTS) as [Part, (typeof PARTS)[Part]][]) {
  registerPanelKind({
    kind: `dashboard.${part}`,
    title: (params: PanelParams) => [t(d.key), params.service, params.instance].filter(Boolean).join(" · "),
    w: d.w,
    h: d.h,
    create: () => new Dashboard(part),
  });
}

interface Tile {
  key: Key;
  id: string;
  part: Part;
  value: HTMLElement;
  sub: HTMLElement;
  el: HTMLElement;
}

export function createDashboard(ctx: Ctx): PageView {
  if (!ctx.services.length && !ctx.state.service) {
    return staticPage(emptyState(t("empty.noServicesTitle"), t("empty.noServicesBody")));
  }
  return new Dashboard();
}

export function staticPage(el: HTMLElement): PageView {
  return { el: h("div", { class: "page" }, el), refresh: async () => {}, dispose: () => {} };
}

class Dashboard implements PageView {
  readonly el: HTMLElement;
  private readonly tiles: Tile[];
  private readonly tmap = new TMap();
  private readonly velocity = new Velocity();
  private readonly avgPanel = new Panel(t("dash.avgChart"), { id: "avg-panel" });
  private readonly errPanel = new Panel(t("dash.errorChart"), { id: "err-panel" });
  private readonly memPanel = new Panel(t("dash.memory"), { id: "mem-panel" });
  private readonly dbPanel = new Panel(t("dash.dbConnections"), { id: "db-panel" });
  private readonly instPanel = new Panel(t("dash.instance10s"), { id: "inst10-panel" });
  private readonly charts: Chart[] = [];
  private readonly avgChart: Chart;
  private readonly errChart: Chart;
  private readonly memChart: Chart;
  private readonly dbChart: Chart;
  private readonly instChart: Chart;
  private readonly names = new InstanceNames();
  /** The service's Kubernetes episodes on the time charts, and its pods that died. */
  private readonly markers = new EventMarkers();
  /** The service's alerts in the window, as shaded areas on the time charts. */
  private readonly alertAreas = new AlertMarkers();
  private readonly podNotes = h("div", { class: "pod-notes-slot" });
  private readonly oom = new OomVerdictCard();
  /** What the pin controls pin: the service and instance shown. */
  private shown: PanelParams = {};

  /** The whole dashboard, or one part of it alone (a panel of My dashboard). */
  constructor(private readonly only?: Part) {
    const tileDefs: [Key, string, Part][] = [
      ["dash.apdex", "tile-apdex", "apdex"],
      ["dash.activeUsers", "tile-users", "users"],
      ["dash.tps", "tile-tps", "tps"],
      ["dash.errorRate", "tile-errors", "errors"],
      ["dash.avgResponse", "tile-avg", "avg"],
    ];
    this.tiles = tileDefs.map(([key, id, part]) => {
      const value = h("div", { class: "tile-value" }, "–");
      const sub = h("div", { class: "tile-sub" });
      return { key, id, part, value, sub, el: h("div", { class: "tile", id }, h("div", { class: "tile-label" }, t(key)), value, sub) };
    });
    const chart = (p: Panel) => {
      const box = h("div", { class: "chart-box" });
      p.body.append(box);
      const c = new Chart(box);
      this.charts.push(c);
      return c;
    };
    this.avgChart = chart(this.avgPanel);
    this.errChart = chart(this.errPanel);
    this.memChart = chart(this.memPanel);
    this.dbChart = chart(this.dbPanel);
    this.instChart = chart(this.instPanel);
    this.instPanel.body.append(this.podNotes);
    this.memPanel.body.append(this.oom.el);
    for (const c of [this.avgChart, this.errChart, this.memChart, this.dbChart]) c.inst.on("datazoom", () => markZoom(c));
    const tmapRow = h("div", { class: "row tmap-row" }, this.tmap.panel.el, this.tmap.listPanel.el);
    const parts: Record<Part, HTMLElement> = {
      ...(Object.fromEntries(this.tiles.map((x) => [x.part, x.el])) as Record<(typeof TILE_PARTS)[number], HTMLElement>),
      tmap: tmapRow,
      response: this.avgPanel.el,
      "error-rate": this.errPanel.el,
      memory: this.memPanel.el,
      db: this.dbPanel.el,
      instances: this.instPanel.el,
      velocity: this.velocity.panel.el,
    };
    if (only) {
      this.el = h("div", { class: "page dashboard dashboard-part", "data-part": only }, parts[only]);
      return;
    }
    for (const [part, el] of Object.entries(parts) as [Part, HTMLElement][]) {
      pinInto(part === "tmap" ? this.tmap.panel.el : el, `dashboard.${part}`, () => this.shown);
    }
    this.el = h(
      "div",
      { class: "page dashboard", id: "page-dashboard" },
      h("div", { class: "tiles" }, this.tiles.map((x) => x.el)),
      tmapRow,
      h("div", { class: "row two" }, this.avgPanel.el, this.errPanel.el),
      h("div", { class: "row two" }, this.memPanel.el, this.dbPanel.el),
      h("div", { class: "row two" }, this.instPanel.el, this.velocity.panel.el),
    );
  }

  async refresh(ctx: Ctx, signal: AbortSignal): Promise<void> {
    if (!ctx.state.service) return;
    this.shown = { service: ctx.state.service, instance: ctx.state.instance };
    this.names.learn([], ctx.instanceNames);
    const want = (...parts: Part[]) => !this.only || parts.includes(this.only);
    const timeCharts = want("response", "error-rate", "memory", "db", "instances");
    const skip = () => Promise.resolve();
    const guard = (p: Panel, f: () => Promise<void>, hasData: () => boolean) =>
      f().catch((err) => {
        if ((err as Error).name === "AbortError") return;
        p.setStatus(errorBox(err), hasData());
      });
    await Promise.all([
      (want(...TILE_PARTS) ? this.loadTiles(ctx, signal) : skip()).catch((err) => {
        if ((err as Error).name !== "AbortError") for (const tile of this.tiles) tile.el.classList.add("stale");
      }),
      want("response", "error-rate") ? guard(this.avgPanel, () => this.loadSeries(ctx, signal), () => this.avgChart.el.dataset.points !== undefined) : skip(),
      want("tmap") ? this.tmap.refresh(ctx, signal).catch(() => {}) : skip(),
      want("memory") ? guard(this.memPanel, () => this.loadMemory(ctx, signal), () => this.memChart.el.dataset.points !== undefined) : skip(),
      want("db") ? guard(this.dbPanel, () => this.loadDb(ctx, signal), () => this.dbChart.el.dataset.points !== undefined) : skip(),
      want("instances", "velocity") ? guard(this.instPanel, () => this.loadInstances(ctx, signal), () => this.instChart.el.dataset.points !== undefined) : skip(),
      timeCharts ? this.markers.refresh(ctx, signal).catch(() => {}) : skip(),
      timeCharts ? this.alertAreas.refresh(ctx, signal).catch(() => {}) : skip(),
      want("memory") ? this.oom.refresh(ctx, signal).catch(() => {}) : skip(),
    ]);
    if (signal.aborted || !timeCharts) return;
    // After the charts have their data: markers merge into their first series.
    for (const c of [this.avgChart, this.errChart, this.memChart, this.dbChart]) {
      this.markers.apply(c, ctx);
      this.alertAreas.apply(c, ctx);
    }
    this.markers.renderNotes(this.podNotes, ctx);
  }

  private async loadSeries(ctx: Ctx, signal: AbortSignal): Promise<void> {
    const step = seriesStep(ctx.window);
    let resp;
    try {
      resp = await api.series(ctx.state.service, ctx.window, step, ctx.state.instance || undefined, signal);
    } catch (err) {
      if ((err as Error).name !== "AbortError") {
        this.errPanel.setStatus(errorBox(err), this.errChart.el.dataset.points !== undefined);
      }
      throw err;
    }
    const pts = resp.points;
    const p = palette();
    const empty = pts.every((x) => !x.transactions);
    const avg = pts.map((x) => [x.ts, x.transactions ? round(x.avg_ms) : null]);
    const p95 = pts.map((x) => [x.ts, x.transactions ? round(x.p95_ms) : null]);
    const tps = pts.map((x) => [x.ts, round(x.tps, 2)]);
    this.avgChart.set(
      {
        ...baseOption(),
        xAxis: timeAxis(ctx.window),
        yAxis: [valueAxis((v) => fmtMs(v)), { ...valueAxis(), name: "TPS", nameTextStyle: { color: p.muted }, splitLine: { show: false } }],
        dataZoom: [{ type: "inside", filterMode: "none" }],
        series: [
          { type: "line", name: t("dash.avg"), data: avg, showSymbol: false, connectNulls: false, areaStyle: { opacity: 0.12 } },
          { type: "line", name: t("dash.p95"), data: p95, showSymbol: false, lineStyle: { type: "dashed" }, color: p.series[2] },
          { type: "line", name: "TPS", data: tps, yAxisIndex: 1, showSymbol: false, lineStyle: { width: 1 }, color: p.series[1] },
        ],
      },
      pts.length,
    );
    markZoom(this.avgChart);
    // The transactions the TPS line stands for, for the browser tests to compare with the API.
    this.avgChart.el.dataset.transactions = String(pts.reduce((a, x) => a + x.transactions, 0));
    this.avgPanel.setStatus(empty ? emptyState(t("common.noData")) : null, true);
    const er = pts.map((x) => [x.ts, x.transactions ? round(x.error_rate * 100, 3) : null]);
    const errs = pts.map((x) => [x.ts, x.errors]);
    this.errChart.set(
      {
        ...baseOption(),
        xAxis: timeAxis(ctx.window),
        yAxis: [valueAxis((v) => `${v}%`), { ...valueAxis(), splitLine: { show: false } }],
        dataZoom: [{ type: "inside", filterMode: "none" }],
        series: [
          { type: "line", name: t("dash.errorRate"), data: er, showSymbol: false, color: p.bad, areaStyle: { opacity: 0.15 } },
          { type: "bar", name: t("dash.errors"), data: errs, yAxisIndex: 1, color: p.warn, barMaxWidth: 6 },
        ],
      },
      pts.length,
    );
    markZoom(this.errChart);
    this.errPanel.setStatus(empty ? emptyState(t("common.noData")) : null, true);
  }

  /** The service's figures over the window; for one instance, that instance's (from the server). */
  private async loadTiles(ctx: Ctx, signal: AbortSignal): Promise<void> {
    let svc: ServiceSummary | undefined;
    if (ctx.state.instance) {
      const resp = await get<{ services: ServiceSummary[] }>("/services", { ...ctx.window, instance: ctx.state.instance }, signal);
      svc = resp.services.find((s) => s.name === ctx.state.service);
    } else {
      svc = ctx.services.find((s) => s.name === ctx.state.service);
    }
    this.renderTiles(ctx, svc);
  }

  private renderTiles(ctx: Ctx, svc: ServiceSummary | undefined): void {
    // No row: nothing ran in the window (on this instance).
    const v = svc ?? { transactions: 0, apdex: NaN, tps: 0, error_rate: NaN, avg_ms: NaN, p95_ms: NaN, active_users: 0 };
    const p = palette();
    const health = (bad: boolean, warn: boolean) => (bad ? p.bad : warn ? p.warn : p.good);
    const set = (id: string, raw: number | undefined, value: string, sub: string, color?: string) => {
      const tile = this.tiles.find((x) => x.id === id)!;
      tile.value.textContent = value;
      tile.sub.textContent = sub;
      // The figure shown, unrounded, for the browser tests to compare with the API.
      if (raw === undefined || !Number.isFinite(raw)) delete tile.el.dataset.value;
      else tile.el.dataset.value = String(raw);
      tile.el.classList.remove("stale");
      tile.el.style.setProperty("--accent", color ?? p.series[0]);
    };
    const note = ctx.state.instance ? t("dash.instanceNote") : "";
    set("tile-apdex", v.apdex, Number.isFinite(v.apdex) ? v.apdex.toFixed(2) : "–", note, Number.isFinite(v.apdex) ? health(v.apdex < 0.7, v.apdex < 0.85) : undefined);
    set("tile-users", v.active_users, fmtNum(v.active_users ?? NaN, 0), ctx.state.instance ? note : t("common.service"));
    set("tile-tps", v.tps, fmtNum(v.tps, 2), `${fmtNum(v.transactions, 0)} tx`);
    set("tile-errors", v.error_rate, fmtPct(v.error_rate), note, Number.isFinite(v.error_rate) ? health(v.error_rate > 0.05, v.error_rate > 0.01) : undefined);
    set("tile-avg", v.avg_ms, fmtMs(v.avg_ms), Number.isFinite(v.p95_ms) ? `p95 ${fmtMs(v.p95_ms)}` : note);
  }

  private async loadMemory(ctx: Ctx, signal: AbortSignal): Promise<void> {
    const step = seriesStep(ctx.window);
    const found = await memoryMetric(ctx.state.service, ctx.state.instance, ctx.window, step, signal);
    this.memPanel.setTitle(found ? t(found.name === "jvm.memory.used" ? "dash.memoryJvm" : "dash.memoryProcess") : t("dash.memory"));
    const pts = found?.points ?? [];
    this.memChart.set(
      {
        ...baseOption(),
        xAxis: timeAxis(ctx.window),
        yAxis: valueAxis((v) => fmtBytes(v)),
        tooltip: { ...(baseOption().tooltip as object), valueFormatter: (v: number) => fmtBytes(v) },
        dataZoom: [{ type: "inside", filterMode: "none" }],
        series: [{ type: "line", name: t("dash.memory"), data: pts.map((x) => [x.ts, x.value]), showSymbol: false, areaStyle: { opacity: 0.15 }, color: palette().series[3] }],
      },
      pts.length,
    );
    markZoom(this.memChart);
    this.memPanel.setStatus(pts.length ? null : emptyState(t("dash.noMetric")), pts.length > 0);
  }

  private async loadDb(ctx: Ctx, signal: AbortSignal): Promise<void> {
    const step = seriesStep(ctx.window);
    const resp = await api.metricSeries(
      { name: DB_CONNECTIONS, service: ctx.state.service, instance: ctx.state.instance || undefined, step, agg: "avg", ...ctx.window },
      signal,
    );
    const pts = resp.points;
    this.dbChart.set(
      {
        ...baseOption(),
        xAxis: timeAxis(ctx.window),
        yAxis: valueAxis(),
        dataZoom: [{ type: "inside", filterMode: "none" }],
        series: [{ type: "line", step: "end", name: t("dash.dbConnections"), data: pts.map((x) => [x.ts, round(x.value, 2)]), showSymbol: false, color: palette().series[5], areaStyle: { opacity: 0.12 } }],
      },
      pts.length,
    );
    markZoom(this.dbChart);
    this.dbPanel.setStatus(pts.length ? null : emptyState(t("dash.noMetric")), pts.length > 0);
  }

  private async loadInstances(ctx: Ctx, signal: AbortSignal): Promise<void> {
    const resp = await api.instances(ctx.state.service, 10, ctx.window, signal);
    let rows = resp.instances.filter((r) => r.service === ctx.state.service || !r.service);
    if (ctx.state.instance) rows = rows.filter((r) => r.instance === ctx.state.instance);
    this.names.learn(rows);
    rows.sort((a, b) => nameOf(a).localeCompare(nameOf(b)) || a.instance.localeCompare(b.instance));
    const p = palette();
    const ids = rows.map((r) => r.instance);
    const labels = this.names.labels(ids);
    markLabels(this.instChart.el, labels);
    // Bars run sideways so every pod name (~25 characters) reads in full beside its bars.
    this.instChart.set(
      {
        ...baseOption(),
        grid: { left: 8, right: 24, top: 48, bottom: 8, containLabel: true },
        yAxis: { type: "category", inverse: true, data: labels, axisLabel: { color: p.muted, interval: 0 }, axisLine: { lineStyle: { color: p.axis } } },
        xAxis: [
          { ...valueAxis(), name: "TPS", nameTextStyle: { color: p.muted } },
          { ...valueAxis((v) => fmtMs(v)), position: "top", splitLine: { show: false } },
        ],
        series: [
          { type: "bar", name: "TPS", data: rows.map((r) => round(r.tps, 2)), barMaxWidth: 14, color: p.series[0] },
          {
            type: "bar",
            name: t("dash.avgResponse"),
            xAxisIndex: 1,
            barMaxWidth: 14,
            data: rows.map((r) => ({ value: round(r.avg_ms), itemStyle: { color: r.avg_ms >= 2000 ? p.bad : r.avg_ms >= 500 ? p.warn : p.good } })),
          },
        ],
      },
      rows.length,
      true,
    );
    this.instPanel.setStatus(rows.length ? null : emptyState(t("common.noData")), rows.length > 0);
    await this.velocity.refresh(ctx, ids, this.names, signal);
  }

  dispose(): void {
    this.tmap.dispose();
    this.velocity.dispose();
    for (const c of this.charts) c.dispose();
  }
}

/** The time charts' zoom window (percent of the x axis), for the browser tests. */
function markZoom(c: Chart): void {
  if (c.inst.isDisposed()) return;
  const z = (c.inst.getOption() as { dataZoom?: { start?: number; end?: number }[] }).dataZoom?.[0];
  if (!z) return;
  c.el.dataset.zoomStart = String(z.start ?? 0);
  c.el.dataset.zoomEnd = String(z.end ?? 100);
}

function round(v: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
