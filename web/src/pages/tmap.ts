// The T-Map: a transaction heatmap (time × response time) with error cells marked.
// Dragging a rectangle snaps it to whole cells and lists exactly the transactions the
// API returns for that rectangle (time from/to × duration min/max).

import { api, type Heatmap, type Transaction } from "../api";
import { Chart, baseOption, palette } from "../charts";
import { emptyState, errorBox, h, html, loading, nothing, Panel, view } from "../dom";
import { fmtMs, fmtTime } from "../format";
import { t } from "../i18n";
import type { Ctx } from "../page";
import { heatmapStep } from "../state";
import { nameOf } from "./names";
import { onRowKey, table } from "./table";

/** The selected rectangle in API terms; `max_ms` is absent for the open top bucket. */
export interface Rect {
  from: number;
  to: number;
  min_ms: number;
  max_ms?: number;
}

interface Grid {
  start: number;
  stepMs: number;
  columns: number;
  bounds: number[];
  buckets: number;
}

const SELECTION_LIMIT = 500;

type Cells = Pick<Heatmap, "step" | "bounds_ms" | "cells">;

/** Where a T-Map's cells and a selection's transactions come from: one service (the
 *  dashboard's, by default) or several summed (the group dashboard's). */
export interface TMapSource {
  heatmap(ctx: Ctx, step: number, signal: AbortSignal): Promise<Cells>;
  transactions(ctx: Ctx, r: Rect & { limit: number }, signal: AbortSignal): Promise<Transaction[]>;
  /** List each transaction's service (the map mixes several). */
  showService?: boolean;
}

const serviceSource: TMapSource = {
  heatmap: (ctx, step, signal) => api.heatmap(ctx.state.service, ctx.window, step, ctx.state.instance || undefined, signal),
  transactions: async (ctx, r, signal) =>
    (await api.transactions(ctx.state.service, { ...r, instance: ctx.state.instance || undefined }, signal)).transactions,
};

export class TMap {
  readonly panel: Panel;
  readonly listPanel: Panel;
  private readonly chart: Chart;
  private grid: Grid | null = null;
  private rect: Rect | null = null;
  private ctx: Ctx | null = null;
  private listAbort: AbortController | null = null;
  private readonly source: TMapSource;
  private readonly tableId: string;

  /** `id` prefixes the elements' ids (`tmap`: `tmap-panel`, `tmap-chart`, `tmap-selection`). */
  constructor(opts: { id?: string; title?: string; source?: TMapSource } = {}) {
    const id = opts.id ?? "tmap";
    this.source = opts.source ?? serviceSource;
    this.tableId = id === "tmap" ? "selection-table" : `${id}-selection-table`;
    this.panel = new Panel(opts.title ?? t("dash.tmap"), { cls: "tmap", id: `${id}-panel`, hint: t("dash.tmapHint") });
    const box = h("div", { class: "chart-box tall", id: `${id}-chart` });
    this.panel.body.append(box);
    this.chart = new Chart(box);
    this.chart.inst.on("brushEnd", (p: unknown) => this.onBrushEnd(p as BrushEndParams));
    this.chart.inst.on("finished", () => this.markGrid());

    const clear = h("button", { class: "btn small", id: `${id}-clear`, onclick: () => this.clearSelection() }, t("dash.clearSelection"));
    this.listPanel = new Panel(t("dash.selection"), { cls: "selection", id: `${id}-selection`, actions: clear });
    this.listPanel.setStatus(emptyState(t("dash.selectionNone")));
  }

  async refresh(ctx: Ctx, signal: AbortSignal): Promise<void> {
    this.ctx = ctx;
    const step = heatmapStep(ctx.window);
    let hm: Cells;
    try {
      hm = await this.source.heatmap(ctx, step, signal);
    } catch (err) {
      if ((err as Error).name === "AbortError") throw err;
      this.panel.setStatus(errorBox(err), this.grid !== null);
      return;
    }
    this.render(hm, ctx);
    // Late spans still land in a recent rectangle: the list follows, rows kept in place.
    if (this.rect) await this.loadSelection(true);
  }

  private render(hm: Cells, ctx: Ctx): void {
    const stepMs = (hm.step || heatmapStep(ctx.window)) * 1000;
    const start = Math.floor(ctx.window.from / stepMs) * stepMs;
    const columns = Math.max(1, Math.ceil((ctx.window.to - start) / stepMs));
    const maxBucket = hm.cells.reduce((m, c) => Math.max(m, c.bucket), -1);
    const buckets = Math.max(hm.bounds_ms.length - 1, maxBucket + 1, 1);
    this.grid = { start, stepMs, columns, bounds: hm.bounds_ms, buckets };

    const p = palette();
    const xcat = Array.from({ length: columns }, (_, i) => fmtTime(start + i * stepMs, stepMs >= 3_600_000));
    const ycat = Array.from({ length: buckets }, (_, i) => bucketLabel(hm.bounds_ms, i));
    const cells: unknown[] = [];
    const errs: unknown[] = [];
    let maxCount = 1;
    let total = 0;
    let firstColumn = -1;
    for (const c of hm.cells) {
      const x = Math.round((c.ts - start) / stepMs);
      if (x < 0 || x >= columns || c.count <= 0) continue;
      maxCount = Math.max(maxCount, c.count);
      total += c.count;
      if (firstColumn < 0 || x < firstColumn) firstColumn = x;
      if (c.errors > 0) {
        cells.push({ value: [x, c.bucket, c.count, c.errors], itemStyle: { borderColor: p.bad, borderWidth: 1 } });
        errs.push([x, c.bucket, c.errors]);
      } else {
        cells.push([x, c.bucket, c.count, 0]);
      }
    }
    const base = baseOption();
    this.chart.set(
      {
        ...base,
        grid: { left: 8, right: 16, top: 28, bottom: 8, containLabel: true }, // top: the legend
        tooltip: {
          ...(base.tooltip as object),
          trigger: "item",
          formatter: (it: { value: number[] }) => {
            const [x, y, count, e] = it.value;
            return `${xcat[x]}<br/>${ycat[y]}<br/>${t("dash.count")}: ${count}${e ? `<br/>${t("dash.errors")}: ${e}` : ""}`;
          },
        },
        xAxis: { type: "category", data: xcat, axisLabel: { color: p.muted, hideOverlap: true }, axisLine: { lineStyle: { color: p.axis } }, splitArea: { show: false } },
        yAxis: { type: "category", data: ycat, axisLabel: { color: p.muted, hideOverlap: true }, axisLine: { lineStyle: { color: p.axis } } },
        visualMap: { show: false, seriesIndex: 0, dimension: 2, min: 1, max: maxCount, inRange: { color: p.heat } },
        brush: {
          toolbox: [],
          xAxisIndex: 0,
          yAxisIndex: 0,
          brushType: "rect",
          brushMode: "single",
          transformable: false,
          throttleType: "debounce",
          brushStyle: { borderWidth: 1.5, color: "rgba(255,180,84,0.15)", borderColor: p.series[2] },
          outOfBrush: { colorAlpha: 0.35 },
        },
        series: [
          { type: "heatmap", name: t("dash.count"), data: cells, progressive: 0, emphasis: { disabled: true } },
          { type: "scatter", name: t("dash.errors"), data: errs, symbol: "circle", symbolSize: 5, itemStyle: { color: p.bad }, silent: true, z: 3 },
        ],
      },
      total,
    );
    // What is drawn, for the browser tests (no chart internals leave the page).
    Object.assign(this.chart.el.dataset, { step: String(stepMs / 1000), columns: String(columns), rows: String(buckets), cells: String(cells.length), firstColumn: String(firstColumn) });
    this.markGrid();
    this.chart.inst.dispatchAction({ type: "takeGlobalCursor", key: "brush", brushOption: { brushType: "rect", brushMode: "single" } });
    this.panel.setStatus(total === 0 ? emptyState(t("common.noData")) : null, true);
    this.restoreBrush();
  }

  /** The cell grid's rectangle in pixels of the chart element: `left,top,width,height`. */
  private markGrid(): void {
    const g = this.grid;
    if (!g || this.chart.inst.isDisposed()) return;
    const at = (x: number, y: number) => this.chart.inst.convertToPixel({ xAxisIndex: 0, yAxisIndex: 0 }, [x, y]) as number[];
    // Category axes snap to whole cells: measure the centres of two corner cells.
    const [x0, y0] = at(0, 0);
    const [x1, y1] = at(g.columns - 1, g.buckets - 1);
    if (![x0, y0, x1, y1].every(Number.isFinite)) return;
    const cw = g.columns > 1 ? (x1 - x0) / (g.columns - 1) : 0;
    const ch = g.buckets > 1 ? (y0 - y1) / (g.buckets - 1) : 0;
    const r = [x0 - cw / 2, y1 - ch / 2, cw * g.columns, ch * g.buckets];
    this.chart.el.dataset.grid = r.map((v) => v.toFixed(1)).join(",");
  }

  /** Redraw the kept rectangle at its (possibly shifted) cell position after a refresh. */
  private restoreBrush(): void {
    const g = this.grid;
    if (!g) return;
    const r = this.rect;
    if (!r) {
      this.chart.inst.dispatchAction({ type: "brush", areas: [] });
      return;
    }
    const x0 = Math.round((r.from - g.start) / g.stepMs);
    const x1 = Math.round((r.to - g.start) / g.stepMs) - 1;
    // Duration rows move when the data's range changes: find the kept bounds again.
    const y0 = nearest(g.bounds, r.min_ms);
    const y1 = r.max_ms === undefined ? g.buckets - 1 : Math.max(y0, nearest(g.bounds, r.max_ms) - 1);
    if (x1 < 0) {
      this.chart.inst.dispatchAction({ type: "brush", areas: [] });
      return;
    }
    // ±0.5: draw the rectangle on the cell edges, so it shows exactly what is listed.
    this.chart.inst.dispatchAction({
      type: "brush",
      areas: [
        {
          brushType: "rect",
          xAxisIndex: 0,
          yAxisIndex: 0,
          coordRange: [[Math.max(0, x0) - 0.5, x1 + 0.5], [y0 - 0.5, y1 + 0.5]],
        },
      ],
    });
  }

  private onBrushEnd(p: BrushEndParams): void {
    const area = p.areas?.[0];
    const g = this.grid;
    if (!area || !g || !area.coordRange) {
      return;
    }
    const [[ax0, ax1], [ay0, ay1]] = area.coordRange as [number[], number[]];
    const x0 = clamp(Math.min(ax0, ax1), 0, g.columns - 1);
    const x1 = clamp(Math.max(ax0, ax1), 0, g.columns - 1);
    const y0 = clamp(Math.min(ay0, ay1), 0, g.buckets - 1);
    const y1 = clamp(Math.max(ay0, ay1), 0, g.buckets - 1);
    const rect: Rect = {
      from: g.start + x0 * g.stepMs,
      to: g.start + (x1 + 1) * g.stepMs,
      min_ms: g.bounds[y0] ?? 0,
    };
    if (y1 + 1 < g.bounds.length) rect.max_ms = g.bounds[y1 + 1];
    this.rect = rect;
    this.restoreBrush(); // snap the drawn rectangle to the cells
    void this.loadSelection();
  }

  clearSelection(): void {
    this.rect = null;
    this.listAbort?.abort();
    this.chart.inst.dispatchAction({ type: "brush", areas: [] });
    const el = this.listPanel.el;
    for (const k of ["from", "to", "minMs", "maxMs", "count"]) delete el.dataset[k];
    view(this.listPanel.body, nothing);
    this.listPanel.setTitle(t("dash.selection"));
    this.listPanel.setStatus(emptyState(t("dash.selectionNone")));
  }

  /** List the rectangle's transactions; `quiet` (a refresh) keeps the list shown meanwhile. */
  private async loadSelection(quiet = false): Promise<void> {
    const ctx = this.ctx;
    const r = this.rect;
    if (!ctx || !r) return;
    this.listAbort?.abort();
    const ac = new AbortController();
    this.listAbort = ac;
    const el = this.listPanel.el;
    if (!quiet) {
      el.dataset.from = String(r.from);
      el.dataset.to = String(r.to);
      el.dataset.minMs = String(r.min_ms);
      if (r.max_ms !== undefined) el.dataset.maxMs = String(r.max_ms);
      else delete el.dataset.maxMs;
      delete el.dataset.count;
      this.listPanel.setStatus(loading());
    }
    let rows: Transaction[];
    try {
      rows = await this.source.transactions(ctx, { ...r, limit: SELECTION_LIMIT }, ac.signal);
    } catch (err) {
      if ((err as Error).name === "AbortError") return;
      this.listPanel.setStatus(errorBox(err, () => void this.loadSelection()), quiet);
      return;
    }
    if (this.rect !== r) return; // cleared or replaced meanwhile
    el.dataset.count = String(rows.length);
    const range = `${fmtTime(r.from)}–${fmtTime(r.to)} · ${fmtMs(r.min_ms)}–${r.max_ms === undefined ? "∞" : fmtMs(r.max_ms)}`;
    const count = rows.length >= SELECTION_LIMIT ? `${SELECTION_LIMIT}+` : String(rows.length);
    this.listPanel.setTitle(`${t("dash.selection")} (${count}) · ${range}`);
    if (!rows.length) {
      view(this.listPanel.body, nothing);
      this.listPanel.setStatus(emptyState(t("dash.selectionEmpty")));
      return;
    }
    const open = (tx: Transaction) => () => ctx.navigate({ page: "traces", sub: tx.trace_id, extra: {} });
    view(
      this.listPanel.body,
      table({
        id: this.tableId,
        head: [t("common.time"), ...(this.source.showService ? [t("common.service")] : []), t("common.name"), t("common.duration"), t("common.instance"), t("common.status")],
        rows,
        key: (tx) => tx.span_id || `${tx.trace_id}:${tx.ts}`,
        row: (tx) => {
          const err = tx.status === "error" || (tx.http_status ?? 0) >= 500;
          const status = tx.http_status ?? (err ? t("common.error") : t("common.ok"));
          return html`<tr
            class="clickable ${err ? "err" : ""}"
            tabindex="0"
            data-trace-id=${tx.trace_id}
            data-span-id=${tx.span_id}
            data-instance=${tx.instance}
            data-service=${tx.service}
            @click=${open(tx)}
            @keydown=${onRowKey(open(tx))}
          >
            <td>${fmtTime(tx.ts)}</td>
            ${this.source.showService ? html`<td class="name">${tx.service}</td>` : nothing}
            <td class="name">${tx.name}</td>
            <td class="num">${fmtMs(tx.duration_ms)}</td>
            <td class="inst" title=${tx.instance}>${nameOf(tx, (id) => ctx.instanceName(id))}</td>
            <td><span class="badge ${err ? "bad" : "ok"}">${status}</span></td>
          </tr>`;
        },
      }),
    );
    this.listPanel.setStatus(null);
  }

  dispose(): void {
    this.listAbort?.abort();
    this.chart.dispose();
  }
}

interface BrushEndParams {
  areas?: { coordRange?: unknown }[];
}

function nearest(bounds: number[], v: number): number {
  let best = 0;
  for (let i = 1; i < bounds.length; i++) if (Math.abs(bounds[i] - v) < Math.abs(bounds[best] - v)) best = i;
  return best;
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, Math.round(v)));
}

function bucketLabel(bounds: number[], i: number): string {
  const lo = bounds[i];
  if (lo === undefined) return `#${i}`;
  const hi = bounds[i + 1];
  return hi === undefined ? `≥ ${fmtMs(lo)}` : `${fmtMs(lo)}`;
}
