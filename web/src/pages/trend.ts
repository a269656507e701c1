// Data trend (F6): a metric's growth over days and weeks (GET /api/v1/trend). Pick a
// metric, the days and what one series is (an instance, a service, or all together);
// the chart draws the chosen series' daily min – max band, its daily mean and the
// Theil-Sen line through the means; the table lists every series with its trend per day
// and week over week. Tests read `data-days` / `data-fit` on the chart and the texts.

import { get } from "../api";
import type { Ok } from "../api/types";
import { Chart, baseOption, palette, timeAxis, valueAxis } from "../charts";
import { emptyState, errorBox, h, html, nothing, Panel, view } from "../dom";
import { fmtBytes, fmtNum, fmtPct, fmtTime } from "../format";
import { t, tf } from "../i18n";
import type { Ctx, PageView } from "../page";
import { onlyPart, pinInto, registerPanelKind, type PanelParams } from "../pin";
import { markLabels } from "./names";
import { onRowKey, table } from "./table";

type TrendBody = Ok<"/api/v1/trend">;
type TrendSeries = TrendBody["series"][number];
type Names = Ok<"/api/v1/metrics/names">;

const DAYS = [7, 14, 30, 60, 90] as const;
const DEFAULT_METRIC = "process.memory.usage";
const TPS = "bongsu.tps";
const GROUPS = ["instance", "service", ""] as const;
const DAY_MS = 86_400_000;

export function createTrend(): PageView {
  return new Trend();
}

// Pinnable: the chart (`trend.chart`) and the table (`trend.table`), with the page's
// metric, days, grouping and chosen series (and service / instance). A grouping of "all
// together" is `group_by=none` in a pin (a pin keeps no empty params).
const PARTS = {
  chart: ["#trend-chart-panel", "trd.title", 6, 5],
  table: ["#trend-table-panel", "trd.table", 6, 5],
} as const;
for (const [part, [selector, label, w, h_]] of Object.entries(PARTS)) {
  registerPanelKind({
    kind: `trend.${part}`,
    title: (p: PanelParams) => [t(label), p.metric || DEFAULT_METRIC, p.service, p.instance].filter(Boolean).join(" · "),
    w,
    h: h_,
    create: () => onlyPart(new Trend(), selector),
  });
}

class Trend implements PageView {
  readonly el: HTMLElement;
  private readonly form = h("div", { class: "filters", id: "trend-filters" });
  private readonly chartPanel = new Panel(t("trd.title"), { id: "trend-chart-panel", hint: t("trd.hint") });
  private readonly tablePanel = new Panel(t("trd.table"), { id: "trend-table-panel" });
  private readonly summary = h("div", { class: "trend-summary", id: "trend-summary", style: "font-size:12px;margin:0 0 6px" });
  private readonly chart: Chart;
  private names: { name: string; unit: string | null }[] = [];
  private namesKey = "";
  private loaded = false;
  /** What a pin pins. */
  private pinned: PanelParams = {};

  constructor() {
    const box = h("div", { class: "chart-box", id: "trend-chart" });
    this.chartPanel.body.append(this.summary, box);
    this.chart = new Chart(box, { renderer: "svg" });
    pinInto(this.chartPanel.el, "trend.chart", () => this.pinned);
    pinInto(this.tablePanel.el, "trend.table", () => this.pinned);
    this.el = h("div", { class: "page trend", id: "page-trend" }, this.form, this.chartPanel.el, this.tablePanel.el);
  }

  async refresh(ctx: Ctx, signal: AbortSignal): Promise<void> {
    const x = ctx.state.extra;
    const metric = x.metric || DEFAULT_METRIC;
    const days = DAYS.includes(Number(x.days) as (typeof DAYS)[number]) ? Number(x.days) : 30;
    const groupBy = x.group_by === "none" ? "" : x.group_by !== undefined ? x.group_by : "instance";
    this.pinned = {
      service: ctx.state.service,
      instance: ctx.state.instance,
      metric: x.metric ?? "",
      days: x.days ?? "",
      group_by: x.group_by === undefined ? "" : groupBy || "none",
      group: x.group ?? "",
    };
    const to = Date.now();
    const key = `${days}`;
    let body: TrendBody;
    try {
      const [trend, names] = await Promise.all([
        get<TrendBody>("/trend", { metric, days, group_by: groupBy, service: ctx.state.service || undefined, instance: ctx.state.instance || undefined }, signal),
        this.namesKey === key ? null : get<Names>("/metrics/names", { from: to - days * DAY_MS, to }, signal),
      ]);
      body = trend;
      if (names) {
        this.names = names.names.map((m) => ({ name: m.name, unit: m.unit ?? null }));
        this.namesKey = key;
      }
    } catch (err) {
      if ((err as Error).name === "AbortError") throw err;
      this.chartPanel.setStatus(errorBox(err), this.loaded);
      return;
    }
    this.loaded = true;
    const unit = this.names.find((m) => m.name === metric)?.unit ?? (metric.includes("memory") ? "By" : null);
    const fmt = unit === "By" ? fmtBytes : (v: number) => fmtNum(v, 2);
    this.renderForm(ctx, metric, days, groupBy);
    const label = (s: TrendSeries) => (s.group === null ? t("trd.all") : s.group_name ?? s.group);
    const chosen = body.series.find((s) => s.group === (x.group ?? null)) ?? body.series.find((s) => (s.group ?? "") === (x.group ?? "")) ?? body.series[0];
    this.renderTable(ctx, body, chosen, label, fmt);
    if (!chosen) {
      this.chart.set({ ...baseOption(), series: [] }, 0, true);
      this.chart.el.dataset.days = "[]";
      this.chart.el.dataset.fit = "null";
      view(this.summary, nothing);
      this.chartPanel.setStatus(emptyState(t("trd.none")));
      return;
    }
    this.chartPanel.setTitle(tf("trd.chart", { group: label(chosen) }));
    this.drawChart(chosen, body, fmt);
    const fit = chosen.fit;
    const wow = chosen.week_over_week.change;
    view(
      this.summary,
      html`<span id="trend-slope" data-slope=${fit ? String(fit.slope_per_day) : ""}>${fit
          ? tf("trd.summary", { slope: signed(fit.slope_per_day, fmt), fit: fmtPct(fit.fit_fraction), wow: wow === null ? "–" : signedPct(wow) })
          : t("trd.noFit")}</span>
        ${body.truncated ? html`<span class="bad-text" id="trend-truncated">${t("trd.truncated")}</span>` : nothing}`,
    );
    this.chartPanel.setStatus(null);
  }

  private drawChart(s: TrendSeries, body: TrendBody, fmt: (v: number) => string): void {
    const p = palette();
    const days = s.daily.map((d) => [d.day, d.min, d.avg, d.max]);
    const fitLine = s.fit ? [[s.fit.start, s.fit.start_value], [s.fit.end, s.fit.end_value]] : [];
    this.chart.el.dataset.days = JSON.stringify(days);
    this.chart.el.dataset.fit = JSON.stringify(s.fit ? fitLine : null);
    markLabels(this.chart.el, [t("trd.band"), t("trd.avg"), t("trd.fit")]);
    const byDay = new Map(s.daily.map((d) => [d.day, d]));
    this.chart.set(
      {
        ...baseOption(),
        tooltip: {
          ...(baseOption().tooltip as object),
          formatter: (items: { axisValue: number }[]) => {
            const d = byDay.get(Number(items[0]?.axisValue));
            if (!d) return "";
            return `${fmtTime(d.day, true).split(" ")[0]}<br>min ${fmt(d.min)} · avg ${fmt(d.avg)} · max ${fmt(d.max)}`;
          },
        },
        legend: { ...(baseOption().legend as object), data: [t("trd.band"), t("trd.avg"), t("trd.fit")] },
        xAxis: { ...timeAxis({ from: body.from, to: body.to }) },
        yAxis: { ...valueAxis((v) => fmt(v)), min: "dataMin" },
        series: [
          // The band: an invisible line at the minimum, the max - min stacked on it.
          { type: "line", name: t("trd.band"), stack: "band", data: s.daily.map((d) => [d.day, d.min]), lineStyle: { opacity: 0 }, showSymbol: false, color: p.series[0] },
          { type: "line", name: t("trd.band"), stack: "band", data: s.daily.map((d) => [d.day, d.max - d.min]), lineStyle: { opacity: 0 }, showSymbol: false, areaStyle: { opacity: 0.25, color: p.series[0] }, color: p.series[0] },
          { type: "line", name: t("trd.avg"), data: s.daily.map((d) => [d.day, d.avg]), showSymbol: true, symbolSize: 4, color: p.series[0] },
          { type: "line", name: t("trd.fit"), data: fitLine, showSymbol: false, lineStyle: { type: "dashed", width: 2 }, color: p.series[2] },
        ],
      },
      days.length,
      true,
    );
  }

  private renderForm(ctx: Ctx, metric: string, days: number, groupBy: string): void {
    const set = (name: string, value: string) => {
      const extra: Record<string, string> = { ...ctx.state.extra, [name]: value };
      delete extra.group;
      ctx.navigate({ extra });
    };
    // bongsu.tps (transactions per second from the rollups) is no stored metric name.
    const known = [{ name: TPS, unit: "{transaction}/s" }, ...this.names];
    const metrics = known.some((m) => m.name === metric) ? known : [{ name: metric, unit: null }, ...known];
    view(
      this.form,
      html`<form class="search-form filter-bar" id="trend-form" @submit=${(e: Event) => e.preventDefault()}>
        <label class="field"><span>${t("trd.metric")}</span>
          <select id="trend-metric" @change=${(e: Event) => set("metric", (e.target as HTMLSelectElement).value)}>
            ${metrics.map((m) => html`<option value=${m.name} ?selected=${m.name === metric}>${m.name}</option>`)}
          </select></label>
        <label class="field"><span>${t("trd.days")}</span>
          <select id="trend-days" @change=${(e: Event) => set("days", (e.target as HTMLSelectElement).value)}>
            ${DAYS.map((d) => html`<option value=${String(d)} ?selected=${d === days}>${d}</option>`)}
          </select></label>
        <label class="field"><span>${t("trd.groupBy")}</span>
          <select id="trend-group-by" @change=${(e: Event) => set("group_by", (e.target as HTMLSelectElement).value)}>
            ${GROUPS.map((g) => html`<option value=${g} ?selected=${g === groupBy}>${t(g === "" ? "trd.group.none" : g === "instance" ? "trd.group.instance" : "trd.group.service")}</option>`)}
          </select></label>
      </form>`,
    );
  }

  private renderTable(ctx: Ctx, body: TrendBody, chosen: TrendSeries | undefined, label: (s: TrendSeries) => string, fmt: (v: number) => string): void {
    if (!body.series.length) {
      view(this.tablePanel.body, nothing);
      this.tablePanel.setStatus(emptyState(t("trd.none")));
      return;
    }
    const choose = (s: TrendSeries) => () => ctx.navigate({ extra: { ...ctx.state.extra, group: s.group ?? "" } }, { replace: true });
    view(
      this.tablePanel.body,
      table({
        id: "trend-table",
        head: [t("trd.group"), t("trd.lastAvg"), t("trd.slope"), t("trd.fitShare"), t("trd.wow")],
        rows: body.series,
        key: (s) => s.group ?? "\u0000",
        row: (s) => {
          const last = s.daily[s.daily.length - 1];
          const wow = s.week_over_week.change;
          return html`<tr class=${`clickable${s === chosen ? " selected" : ""}`} tabindex="0" data-group=${s.group ?? ""} @click=${choose(s)} @keydown=${onRowKey(choose(s))}>
            <td title=${s.group ?? ""}>${label(s)}</td>
            <td class="num">${last ? fmt(last.avg) : "–"}</td>
            <td class="num slope">${s.fit ? signed(s.fit.slope_per_day, fmt) : "–"}</td>
            <td class="num">${s.fit ? fmtPct(s.fit.fit_fraction) : "–"}</td>
            <td class="num wow">${wow === null ? "–" : signedPct(wow)}</td>
          </tr>`;
        },
      }),
    );
    this.tablePanel.setStatus(null);
  }

  dispose(): void {
    this.chart.dispose();
  }
}

function signed(v: number, fmt: (v: number) => string): string {
  return v > 0 ? `+${fmt(v)}` : v < 0 ? `−${fmt(-v)}` : fmt(0);
}

function signedPct(v: number): string {
  return v > 0 ? `+${fmtPct(v)}` : v < 0 ? `−${fmtPct(-v)}` : fmtPct(0);
}
