// Real-time active requests (F5): what is running now, for how long, on which instance
// and thread, from the agents' reports (every ~5 s; the server recomputes elapsed time
// at each call). Each reporting instance can be asked for a thread capture.

import { api, type ActiveRequest } from "../api";
import { Chart, baseOption, palette, valueAxis } from "../charts";
import { emptyState, errorBox, h, html, nothing, Panel, view } from "../dom";
import { canWrite } from "../access";
import { fmtMs, fmtTime } from "../format";
import { t } from "../i18n";
import type { Ctx, PageView } from "../page";
import { onlyPart, pinInto, registerPanelKind, type PanelParams } from "../pin";
import { InstanceNames, markLabels } from "./names";
import { onRowKey, table } from "./table";
import { ThreadDump, traceLink } from "./thread_dump";

/** A request and the local clock when it was fetched, so the table keeps counting. */
interface Row extends ActiveRequest {
  seenAt: number;
}

// Requests in flight per instance (the chart) and the active requests (the table): figures
// one watches, pinnable with the service and instance.
const PARTS = {
  "per-instance": ["#active-chart-panel", "tx.perInstance", 6, 3],
  active: ["#active-panel", "tx.title", 12, 4],
} as const;
for (const [part, [selector, label, w, h_]] of Object.entries(PARTS)) {
  registerPanelKind({
    kind: `transactions.${part}`,
    title: (p: PanelParams) => [t(label), p.service].filter(Boolean).join(" · "),
    w,
    h: h_,
    create: () => onlyPart(new Transactions(), selector),
  });
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
  private readonly names = new InstanceNames();
  private ctx: Ctx | null;
  private timer: number;

  /** `ctx` opens the capture its URL names (a pinned part has none). */
  constructor(ctx?: Ctx) {
    this.ctx = ctx ?? null;
    this.table = new Panel(t("tx.title"), { id: "active-panel", hint: t("tx.hint") });
    this.perInstance = new Panel(t("tx.perInstance"), { id: "active-chart-panel" });
    this.instancesPanel = new Panel(t("tx.instances"), { id: "capture-instances-panel", hint: t("tx.instancesHint") });
    const box = h("div", { class: "chart-box short", id: "active-chart" });
    this.perInstance.body.append(box);
    this.chart = new Chart(box);
    this.dump = new ThreadDump(ctx?.state.extra.capture ?? "", this.names, () => this.renderInstances());
    const shown = (): PanelParams => ({ service: this.ctx?.state.service ?? "", instance: this.ctx?.state.instance ?? "" });
    pinInto(this.perInstance.el, "transactions.per-instance", shown);
    pinInto(this.table.el, "transactions.active", shown);
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
    this.names.learn([], ctx.instanceNames);
    await Promise.all([this.loadActive(ctx, signal), this.dump.refresh(ctx, signal)]);
  }

  private async loadActive(ctx: Ctx, signal: AbortSignal): Promise<void> {
    let body: { requests: ActiveRequest[]; instances: string[]; instance_names?: Record<string, string> };
    try {
      body = await api.activeRequests(ctx.state.service || undefined, ctx.state.instance || undefined, signal);
    } catch (err) {
      if ((err as Error).name === "AbortError") throw err;
      this.table.setStatus(errorBox(err), this.rows.length > 0);
      return;
    }
    this.names.learn(body.requests, body.instance_names);
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
    const ids = [...counts.keys()].sort((a, b) => this.names.of(a).localeCompare(this.names.of(b)) || a.localeCompare(b));
    const labels = this.names.labels(ids);
    markLabels(this.chart.el, labels);
    this.chart.set(
      {
        ...baseOption(),
        // Sideways bars: instance names read in full.
        yAxis: { type: "category", inverse: true, data: labels, axisLabel: { color: p.muted, interval: 0 } },
        xAxis: { ...valueAxis(), minInterval: 1 },
        series: [{ type: "bar", name: t("tx.count"), data: ids.map((n) => counts.get(n) ?? 0), barMaxWidth: 20, color: p.series[0] }],
      },
      ids.length,
      true,
    );
    this.perInstance.setStatus(ids.length ? null : emptyState(t("tx.none")), ids.length > 0);
  }

  /** One line per reporting instance, with its "Capture threads" button. */
  private renderInstances(): void {
    if (!this.reporting.length) {
      view(this.instancesPanel.body, nothing);
      this.instancesPanel.setStatus(emptyState(t("tx.noInstances"), t("tx.unavailable")));
      return;
    }
    const ctx = this.ctx;
    const service = ctx?.state.service ?? "";
    view(
      this.instancesPanel.body,
      table({
        id: "capture-instances",
        head: [t("common.instance"), t("tx.hostPid"), t("tx.inFlight"), ""],
        rows: this.reporting,
        key: (inst) => inst,
        row: (inst) => {
          const mine = this.rows.filter((r) => r.instance === inst);
          const any = mine[0];
          const busy = this.dump.pendingFor(inst);
          return html`<tr data-instance=${inst}>
            <td class="clip" title=${inst}>${this.names.of(inst)}</td>
            <td>${any?.host ? `${any.host} · ${any.pid ?? "?"}` : "–"}</td>
            <td class="num">${mine.length}</td>
            <td>${canWrite() ? html`
              <button
                class="btn small capture-btn"
                data-instance=${inst}
                ?disabled=${busy || !service || !ctx}
                @click=${() => ctx && void this.dump.start(ctx, service, inst)}
              >${busy ? t("tx.capturing") : t("tx.capture")}</button>` : nothing}
            </td>
          </tr>`;
        },
      }),
    );
    this.instancesPanel.setStatus(null);
  }

  private renderTable(ctx: Ctx): void {
    this.table.setTitle(`${t("tx.title")} (${this.rows.length})`);
    if (!this.rows.length) {
      view(this.table.body, nothing);
      this.table.setStatus(emptyState(t("tx.none"), this.reporting.length ? undefined : t("tx.unavailable")));
      return;
    }
    const open = (r: Row) => () => ctx.navigate(traceLink(r));
    view(
      this.table.body,
      table({
        id: "active-table",
        head: [t("tx.elapsed"), t("tx.started"), t("tx.method"), t("tx.request"), t("common.service"), t("common.instance"), t("tx.thread"), "trace id"],
        rows: this.rows,
        key: (r) => `${r.trace_id}:${r.span_id}`,
        // The elapsed cell has no bound children: tickElapsed() writes its text every second.
        row: (r) => html`<tr
          class="clickable"
          tabindex="0"
          data-trace-id=${r.trace_id}
          data-span-id=${r.span_id}
          data-instance=${r.instance}
          @click=${open(r)}
          @keydown=${onRowKey(open(r))}
        >
          <td class="num elapsed" data-seen=${r.seenAt} data-elapsed=${r.elapsed_ms}></td>
          <td>${fmtTime(r.start_unix_nano / 1e6)}</td>
          <td>${r.method}</td>
          <td class="request" title=${r.route ? `${r.url}\n${r.route}` : r.url}>
            <span class="mono url">${r.url}</span>${r.route ? html`<span class="route">${r.route}</span>` : nothing}
          </td>
          <td>${r.service}</td>
          <td class="inst" title=${r.instance}>${this.names.of(r.instance)}</td>
          <td class="thread" title=${r.thread_id ? String(r.thread_id) : ""}>${r.thread_name || (r.thread_id ?? "")}</td>
          <td class="mono">${r.trace_id.slice(0, 16)}${r.sampled === false ? html`<span class="badge" title=${t("tr.notStored")}>${t("tx.unsampled")}</span>` : nothing}</td>
        </tr>`,
      }),
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
