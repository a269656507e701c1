// Instances (F6): every instance of the application with its load, and memory of
// all of them side by side on one time axis.

import { api, type InstanceRow } from "../api";
import { Chart, baseOption, palette, timeAxis, valueAxis } from "../charts";
import { emptyState, errorBox, h, html, nothing, Panel, view } from "../dom";
import { fmtBytes, fmtMs, fmtNum, fmtPct, fmtTime } from "../format";
import { t } from "../i18n";
import { memoryMetric } from "../metrics";
import type { Ctx, PageView } from "../page";
import { onlyPart, pinInto, registerPanelKind, type PanelParams } from "../pin";
import { seriesStep } from "../state";
import { InstanceNames, markLabels, nameOf } from "./names";
import { onRowKey, table } from "./table";

const MAX_INSTANCES = 16;

export function createInstances(): PageView {
  return new Instances();
}

// Pinnable: the memory chart (`instances.memory`) and the table (`instances.table`), for
// the page's service and instance (none: every instance).
const PARTS = {
  memory: ["#inst-mem-panel", "inst.memory", 6, 5],
  table: ["#instances-panel", "inst.title", 12, 5],
} as const;
for (const [part, [selector, label, w, h_]] of Object.entries(PARTS)) {
  registerPanelKind({
    kind: `instances.${part}`,
    title: (p: PanelParams) => [t(label), p.service, p.instance].filter(Boolean).join(" · "),
    w,
    h: h_,
    create: () => {
      const v = onlyPart(new Instances(), selector);
      // A pinned memory chart is the chart: the small multiples stay on the page.
      if (part === "memory") (v.el.querySelector("#inst-multiples") as HTMLElement).style.display = "none";
      return v;
    },
  });
}

class Instances implements PageView {
  readonly el: HTMLElement;
  private readonly table = new Panel(t("inst.title"), { id: "instances-panel" });
  private readonly memPanel = new Panel(t("inst.memory"), { id: "inst-mem-panel" });
  private readonly chart: Chart;
  private readonly grid = h("div", { class: "small-multiples", id: "inst-multiples" });
  private readonly small = new Map<string, Chart>();
  private readonly names = new InstanceNames();
  private shown = false;
  /** What a pin pins: the page's service and instance. */
  private pinned: PanelParams = {};

  constructor() {
    const box = h("div", { class: "chart-box", id: "inst-mem-chart" });
    this.memPanel.body.append(box, this.grid);
    this.chart = new Chart(box);
    pinInto(this.memPanel.el, "instances.memory", () => this.pinned);
    pinInto(this.table.el, "instances.table", () => this.pinned);
    this.el = h("div", { class: "page instances", id: "page-instances" }, this.memPanel.el, this.table.el);
  }

  async refresh(ctx: Ctx, signal: AbortSignal): Promise<void> {
    const w = ctx.window;
    this.pinned = { service: ctx.state.service, instance: ctx.state.instance };
    this.names.learn([], ctx.instanceNames);
    let rows: InstanceRow[];
    try {
      const resp = await api.instances(ctx.state.service || undefined, Math.round((w.to - w.from) / 1000), w, signal);
      rows = resp.instances.filter((r) => !ctx.state.service || r.service === ctx.state.service);
      if (ctx.state.instance) rows = rows.filter((r) => r.instance === ctx.state.instance);
      rows.sort((a, b) => a.service.localeCompare(b.service) || nameOf(a).localeCompare(nameOf(b)) || a.instance.localeCompare(b.instance));
    } catch (err) {
      if ((err as Error).name === "AbortError") throw err;
      this.table.setStatus(errorBox(err), this.shown);
      return;
    }
    this.names.learn(rows);
    this.renderTable(rows, ctx);
    if (!rows.length) {
      this.memPanel.setStatus(emptyState(t("inst.none")));
      return;
    }
    const step = seriesStep(w);
    const shown = rows.slice(0, MAX_INSTANCES);
    let mem;
    try {
      mem = await Promise.all(shown.map((r) => memoryMetric(r.service, r.instance, w, step, signal)));
    } catch (err) {
      if ((err as Error).name === "AbortError") throw err;
      this.memPanel.setStatus(errorBox(err), this.chart.el.dataset.points !== undefined);
      return;
    }
    const total = mem.reduce((a, m) => a + (m?.points.length ?? 0), 0);
    const p = palette();
    const labels = this.names.labels(shown.map((r) => r.instance));
    markLabels(this.chart.el, labels);
    this.chart.set(
      {
        ...baseOption(),
        tooltip: { ...(baseOption().tooltip as object), valueFormatter: (v: number) => fmtBytes(v) },
        xAxis: timeAxis(w),
        yAxis: valueAxis((v) => fmtBytes(v)),
        dataZoom: [{ type: "inside", filterMode: "none" }],
        series: shown.map((_r, i) => ({
          type: "line",
          name: labels[i],
          showSymbol: false,
          data: (mem[i]?.points ?? []).map((x) => [x.ts, x.value]),
          color: p.series[i % p.series.length],
        })),
      },
      total,
      true,
    );
    // One small chart per instance, same y scale, so growth stands out side by side.
    const maxY = niceCeil(Math.max(1, ...mem.flatMap((m) => m?.points.map((x) => x.value) ?? [])));
    const alive = new Set<string>();
    shown.forEach((r, i) => {
      const key = `${r.service}/${r.instance}`;
      alive.add(key);
      let c = this.small.get(key);
      if (!c) {
        const box = h("div", { class: "chart-box mini", "data-instance": r.instance });
        this.grid.append(h("div", { class: "mini-wrap" }, h("div", { class: "mini-title", title: r.instance }, labels[i]), box));
        c = new Chart(box);
        this.small.set(key, c);
      }
      const pts = mem[i]?.points ?? [];
      c.set(
        {
          ...baseOption(),
          legend: { show: false },
          grid: { left: 4, right: 8, top: 8, bottom: 4, containLabel: true },
          tooltip: { ...(baseOption().tooltip as object), valueFormatter: (v: number) => fmtBytes(v) },
          xAxis: { ...timeAxis(w), axisLabel: { show: false } },
          yAxis: { ...valueAxis((v) => fmtBytes(v)), max: maxY },
          series: [{ type: "line", showSymbol: false, data: pts.map((x) => [x.ts, x.value]), areaStyle: { opacity: 0.2 }, color: p.series[i % p.series.length] }],
        },
        pts.length,
      );
    });
    for (const [key, c] of this.small) {
      if (!alive.has(key)) {
        c.el.parentElement?.remove();
        c.dispose();
        this.small.delete(key);
      }
    }
    this.memPanel.setStatus(total ? null : emptyState(t("dash.noMetric")), total > 0);
  }

  private renderTable(rows: InstanceRow[], ctx: Ctx): void {
    this.shown = rows.length > 0;
    if (!rows.length) {
      view(this.table.body, nothing);
      this.table.setStatus(emptyState(t("inst.none")));
      return;
    }
    const open = (r: InstanceRow) => () => ctx.navigate({ page: "dashboard", service: r.service, instance: r.instance, extra: {} });
    view(
      this.table.body,
      table({
        id: "instances-table",
        head: [t("common.service"), t("common.instance"), t("inst.tps"), t("inst.avg"), t("inst.err"), t("inst.lastSeen")],
        rows,
        key: (r) => `${r.service}\n${r.instance}`,
        row: (r) => html`<tr class="clickable" tabindex="0" data-instance=${r.instance} @click=${open(r)} @keydown=${onRowKey(open(r))}>
          <td>${r.service}</td>
          <td class="inst" title=${r.instance}>${this.names.of(r.instance)}</td>
          <td class="num">${fmtNum(r.tps, 2)}</td>
          <td class="num">${fmtMs(r.avg_ms)}</td>
          <td class="num">${fmtPct(r.error_rate)}</td>
          <td>${fmtTime(r.last_seen, true)}</td>
        </tr>`,
      }),
    );
    this.table.setStatus(null);
  }

  dispose(): void {
    this.chart.dispose();
    for (const c of this.small.values()) c.dispose();
  }
}

/** The next 1 / 2 / 2.5 / 5 × 10^n at or above `v`, for a shared y scale. */
function niceCeil(v: number): number {
  const mag = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * mag >= v) return m * mag;
  return 10 * mag;
}
