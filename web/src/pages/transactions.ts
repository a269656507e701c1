// Real-time active requests (F5): what is running now, for how long, on which instance
// and thread, from the agents' reports (every ~5 s; the server recomputes elapsed time
// at each call). Each reporting instance can be asked for a thread capture.

import { api, type ActiveRequest } from "../api";
import { Chart, baseOption, palette, valueAxis } from "../charts";
import { emptyState, errorBox, h, Panel } from "../dom";
import { fmtMs, fmtTime, shortId } from "../format";
import { t } from "../i18n";
import type { Ctx, PageView } from "../page";
import { ThreadDump, traceLink } from "./thread_dump";

/** A request and the local clock when it was fetched, so the table keeps counting. */
interface Row extends ActiveRequest {
  seenAt: number;
}

export function createTransactions(ctx: Ctx): PageView {
  return new Transactions(ctx);
}

class Transactions implements PageView {
  readonly el: HTMLElement;
  private readonly table: Panel;
  private readonly perInstance: Panel;
  private readonly instancesPanel: Panel;
  private readonly chart: Chart;
  private readonly dump: ThreadDump;
  private rows: Row[] = [];
  private reporting: string[] = [];
  private ctx: Ctx;
  private timer: number;

  constructor(ctx: Ctx) {
    this.ctx = ctx;
    this.table = new Panel(t("tx.title"), { id: "active-panel", hint: t("tx.hint") });
    this.perInstance = new Panel(t("tx.perInstance"), { id: "active-chart-panel" });
    this.instancesPanel = new Panel(t("tx.instances"), { id: "capture-instances-panel", hint: t("tx.instancesHint") });
    const box = h("div", { class: "chart-box short", id: "active-chart" });
    this.perInstance.body.append(box);
    this.chart = new Chart(box);
    this.dump = new ThreadDump(ctx.state.extra.capture ?? "", () => this.renderInstances());
    this.el = h(
      "div",
      { class: "page transactions", id: "page-transactions" },
      h("div", { class: "row two" }, this.perInstance.el, this.instancesPanel.el),
      this.table.el,
      this.dump.el,
    );
    // Elapsed times grow between fetches.
    this.timer = window.setInterval(() => this.tickElapsed(), 1000);
  }

  async refresh(ctx: Ctx, signal: AbortSignal): Promise<void> {
    this.ctx = ctx;
    await Promise.all([this.loadActive(ctx, signal), this.dump.refresh(ctx, signal)]);
  }

  private async loadActive(ctx: Ctx, signal: AbortSignal): Promise<void> {
    let body: { requests: ActiveRequest[]; instances: string[] };
    try {
      body = await api.activeRequests(ctx.state.service || undefined, ctx.state.instance || undefined, signal);
    } catch (err) {
      if ((err as Error).name === "AbortError") throw err;
      this.table.setStatus(errorBox(err), this.rows.length > 0);
      return;
    }
    const now = performance.now();
    this.rows = body.requests.map((r) => ({ ...r, seenAt: now })).sort((a, b) => b.elapsed_ms - a.elapsed_ms);
    this.reporting = body.instances;
    this.renderChart(ctx);
    this.renderInstances();
    this.renderTable(ctx);
  }

  private renderChart(ctx: Ctx): void {
    const p = palette();
    const counts = new Map<string, number>();
    for (const inst of [...ctx.instances, ...this.reporting]) counts.set(inst, 0);
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
  }

  /** One line per reporting instance, with its "Capture threads" button. */
  private renderInstances(): void {
    if (!this.reporting.length) {
      this.instancesPanel.body.replaceChildren();
      this.instancesPanel.setStatus(emptyState(t("tx.noInstances"), t("tx.unavailable")));
      return;
    }
    const service = this.ctx.state.service;
    const tbody = h("tbody");
    for (const inst of this.reporting) {
      const mine = this.rows.filter((r) => r.instance === inst);
      const any = mine[0];
      const busy = this.dump.pendingFor(inst);
      tbody.append(
        h(
          "tr",
          { "data-instance": inst },
          h("td", { class: "mono clip", title: inst }, inst),
          h("td", null, any?.host ? `${any.host} · ${any.pid ?? "?"}` : "–"),
          h("td", { class: "num" }, mine.length),
          h(
            "td",
            null,
            h(
              "button",
              {
                class: "btn small capture-btn",
                "data-instance": inst,
                disabled: busy || !service,
                onclick: () => void this.dump.start(this.ctx, service, inst),
              },
              busy ? t("tx.capturing") : t("tx.capture"),
            ),
          ),
        ),
      );
    }
    this.instancesPanel.body.replaceChildren(
      h(
        "div",
        { class: "table-wrap" },
        h(
          "table",
          { class: "grid", id: "capture-instances" },
          h("thead", null, h("tr", null, [t("common.instance"), t("tx.hostPid"), t("tx.inFlight"), ""].map((c) => h("th", null, c)))),
          tbody,
        ),
      ),
    );
    this.instancesPanel.setStatus(null);
  }

  private renderTable(ctx: Ctx): void {
    this.table.setTitle(`${t("tx.title")} (${this.rows.length})`);
    if (!this.rows.length) {
      this.table.body.replaceChildren();
      this.table.setStatus(emptyState(t("tx.none"), this.reporting.length ? undefined : t("tx.unavailable")));
      return;
    }
    const tbody = h("tbody");
    for (const r of this.rows) {
      const link = traceLink(r);
      tbody.append(
        h(
          "tr",
          {
            class: "clickable",
            "data-trace-id": r.trace_id,
            "data-span-id": r.span_id,
            "data-instance": r.instance,
            onclick: () => ctx.navigate(link),
          },
          h("td", { class: "num elapsed", "data-seen": r.seenAt, "data-elapsed": r.elapsed_ms }, fmtMs(r.elapsed_ms)),
          h("td", null, fmtTime(r.start_unix_nano / 1e6)),
          h("td", null, r.method),
          h(
            "td",
            { class: "request", title: r.route ? `${r.url}\n${r.route}` : r.url },
            h("span", { class: "mono url" }, r.url),
            r.route ? h("span", { class: "route" }, r.route) : null,
          ),
          h("td", null, r.service),
          h("td", { class: "mono", title: r.instance }, shortId(r.instance)),
          h("td", { class: "thread", title: r.thread_id ? String(r.thread_id) : "" }, r.thread_name || (r.thread_id ?? "")),
          h(
            "td",
            { class: "mono" },
            r.trace_id.slice(0, 16),
            r.sampled === false ? h("span", { class: "badge", title: t("tr.notStored") }, t("tx.unsampled")) : null,
          ),
        ),
      );
    }
    const head = [t("tx.elapsed"), t("tx.started"), t("tx.method"), t("tx.request"), t("common.service"), t("common.instance"), t("tx.thread"), "trace id"];
    this.table.body.replaceChildren(
      h(
        "div",
        { class: "table-wrap" },
        h("table", { class: "grid", id: "active-table" }, h("thead", null, h("tr", null, head.map((c) => h("th", null, c)))), tbody),
      ),
    );
    this.table.setStatus(null);
    this.tickElapsed();
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
    this.dump.dispose();
  }
}
