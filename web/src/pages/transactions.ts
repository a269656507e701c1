// Real-time active requests (F5): what is running now, for how long, on which
// instance. Served by the agent's control channel; until it exists the endpoint
// answers 404 and the page says how to get it.

import { api, ApiError } from "../api";
import { Chart, baseOption, palette, valueAxis } from "../charts";
import { emptyState, errorBox, h, Panel } from "../dom";
import { fmtMs, fmtTime, shortId } from "../format";
import { t } from "../i18n";
import type { Ctx, PageView } from "../page";

interface Active {
  trace_id: string;
  name: string;
  service: string;
  instance: string;
  method: string;
  start: number;
  /** Elapsed at fetch time, and the local clock then, so the table can keep counting. */
  elapsed: number;
  seenAt: number;
}

export function createTransactions(): PageView {
  return new Transactions();
}

class Transactions implements PageView {
  readonly el: HTMLElement;
  private readonly table: Panel;
  private readonly perInstance: Panel;
  private readonly chart: Chart;
  private rows: Active[] = [];
  private timer: number;

  constructor() {
    this.table = new Panel(t("tx.title"), { id: "active-panel" });
    this.perInstance = new Panel(t("tx.perInstance"), { id: "active-chart-panel" });
    const box = h("div", { class: "chart-box short", id: "active-chart" });
    this.perInstance.body.append(box);
    this.chart = new Chart(box);
    this.el = h("div", { class: "page transactions", id: "page-transactions" }, this.perInstance.el, this.table.el);
    // Elapsed times grow between fetches.
    this.timer = window.setInterval(() => this.tickElapsed(), 1000);
  }

  async refresh(ctx: Ctx, signal: AbortSignal): Promise<void> {
    let body: Record<string, unknown>;
    try {
      body = await api.activeRequests(ctx.state.service || undefined, ctx.state.instance || undefined, signal);
    } catch (err) {
      if ((err as Error).name === "AbortError") throw err;
      if (err instanceof ApiError && err.status === 404) {
        this.rows = [];
        this.render(ctx);
        this.table.setStatus(emptyState(t("tx.none"), t("tx.unavailable")));
        return;
      }
      this.table.setStatus(errorBox(err), this.rows.length > 0);
      return;
    }
    const now = performance.now();
    const list = (Object.values(body).find(Array.isArray) ?? []) as Record<string, unknown>[];
    this.rows = list.map((r) => normalize(r, now)).sort((a, b) => b.elapsed - a.elapsed);
    this.render(ctx);
  }

  private render(ctx: Ctx): void {
    const p = palette();
    const counts = new Map<string, number>();
    for (const inst of ctx.instances) counts.set(inst, 0);
    for (const r of this.rows) counts.set(r.instance, (counts.get(r.instance) ?? 0) + 1);
    const names = [...counts.keys()].sort();
    this.chart.set(
      {
        ...baseOption(),
        xAxis: { type: "category", data: names, axisLabel: { color: p.muted, hideOverlap: true, formatter: (v: string) => shortId(v) } },
        yAxis: { ...valueAxis(), minInterval: 1 },
        series: [{ type: "bar", name: t("tx.count"), data: names.map((n) => counts.get(n) ?? 0), barMaxWidth: 28, color: p.series[0] }],
      },
      names.length,
      true,
    );
    this.perInstance.setStatus(names.length ? null : emptyState(t("tx.none")), names.length > 0);
    if (!this.rows.length) {
      this.table.body.replaceChildren();
      this.table.setStatus(emptyState(t("tx.none")));
      return;
    }
    const tbody = h("tbody");
    for (const r of this.rows) {
      tbody.append(
        h(
          "tr",
          { class: r.trace_id ? "clickable" : "", "data-trace-id": r.trace_id, onclick: () => r.trace_id && ctx.navigate({ page: "traces", sub: r.trace_id, extra: {} }) },
          h("td", { class: "num elapsed", "data-seen": r.seenAt, "data-elapsed": r.elapsed }, fmtMs(r.elapsed)),
          h("td", null, r.start ? fmtTime(r.start) : ""),
          h("td", null, r.service),
          h("td", null, r.instance),
          h("td", null, r.method),
          h("td", { class: "name" }, r.name),
          h("td", { class: "mono" }, r.trace_id.slice(0, 16)),
        ),
      );
    }
    this.table.setTitle(`${t("tx.title")} (${this.rows.length})`);
    this.table.body.replaceChildren(
      h(
        "div",
        { class: "table-wrap" },
        h(
          "table",
          { class: "grid", id: "active-table" },
          h("thead", null, h("tr", null, [t("tx.elapsed"), t("tx.started"), t("common.service"), t("common.instance"), t("tx.method"), t("common.name"), "trace id"].map((c) => h("th", null, c)))),
          tbody,
        ),
      ),
    );
    this.table.setStatus(null);
  }

  private tickElapsed(): void {
    const now = performance.now();
    for (const td of this.el.querySelectorAll<HTMLElement>("td.elapsed")) {
      const e = Number(td.dataset.elapsed) + (now - Number(td.dataset.seen));
      td.textContent = fmtMs(e);
      td.classList.toggle("slow", e >= 3000);
    }
  }

  dispose(): void {
    window.clearInterval(this.timer);
    this.chart.dispose();
  }
}

function normalize(r: Record<string, unknown>, now: number): Active {
  const num = (...keys: string[]) => {
    for (const k of keys) if (typeof r[k] === "number") return r[k] as number;
    return NaN;
  };
  const str = (...keys: string[]) => {
    for (const k of keys) if (typeof r[k] === "string") return r[k] as string;
    return "";
  };
  const start = num("start", "started_at", "ts", "start_ms");
  let elapsed = num("elapsed_ms", "elapsed", "duration_ms");
  if (!Number.isFinite(elapsed)) elapsed = Number.isFinite(start) ? Math.max(0, Date.now() - start) : 0;
  return {
    trace_id: str("trace_id"),
    name: str("name", "route", "path", "url"),
    service: str("service"),
    instance: str("instance"),
    method: str("method", "http_method", "http.method"),
    start: Number.isFinite(start) ? start : 0,
    elapsed,
    seenAt: now,
  };
}
