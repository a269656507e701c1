// The Hosts view (issue 13, item 3): every host (`host.name`, a pod's node) with CPU,
// memory, load, disk and network from the OpenTelemetry host metrics (`system.*`) and
// its instances and pods; a chosen host (`#/hosts?host=…`) shows those as series per
// step and lists the instances on it, each opening its dashboard.

import "./views.css";
import { get } from "../api";
import type { Ok } from "../api/types";
import { Chart, baseOption, timeAxis, valueAxis, type Option } from "../charts";
import { emptyState, errorBox, h, html, nothing, Panel, view } from "../dom";
import { fmtBytes, fmtNum, fmtPct } from "../format";
import { t } from "../i18n";
import type { Ctx, PageView } from "../page";
import { onlyPart, pinInto, registerPanelKind, type PanelParams } from "../pin";
import { when } from "./kube";
import { onRowKey, table } from "./table";

type HostList = Ok<"/api/v1/hosts">;
type HostRow = HostList["hosts"][number];
type Detail = Ok<"/api/v1/hosts/{host}">;
type Point = Detail["points"][number];

const enc = encodeURIComponent;

export const hostApi = {
  list: (w: { from: number; to: number }, s?: AbortSignal) => get<HostList>("/hosts", { ...w }, s),
  host: (host: string, w: { from: number; to: number }, s?: AbortSignal) => get<Detail>(`/hosts/${enc(host)}`, { ...w }, s),
};

/** The detail charts: id, title key, series (label key, field), y formatter. */
const CHARTS = [
  { id: "cpu", title: "hv.cpu", fields: [["hv.cpu", "cpu_utilization"]], fmt: (v: number) => fmtPct(v) },
  { id: "memory", title: "hv.memory", fields: [["hv.used", "memory_used_bytes"], ["hv.totalMem", "memory_total_bytes"]], fmt: (v: number) => fmtBytes(v) },
  { id: "load", title: "hv.load", fields: [["hv.load1", "load_1m"], ["hv.load5", "load_5m"], ["hv.load15", "load_15m"]], fmt: (v: number) => fmtNum(v, 2) },
  { id: "disk", title: "hv.disk", fields: [["hv.read", "disk_read_bytes_per_s"], ["hv.write", "disk_write_bytes_per_s"]], fmt: (v: number) => `${fmtBytes(v)}/s` },
  { id: "network", title: "hv.network", fields: [["hv.rx", "network_rx_bytes_per_s"], ["hv.tx", "network_tx_bytes_per_s"]], fmt: (v: number) => `${fmtBytes(v)}/s` },
] as const;

export function createHosts(ctx: Ctx): PageView {
  return new Hosts(ctx);
}

// Pinnable: the host list (`hosts.list`) and each chart of a chosen host (`hosts.cpu`,
// `hosts.memory`, …, param host).
registerPanelKind({ kind: "hosts.list", title: () => t("hv.title"), w: 12, h: 5, create: () => onlyPart(new Hosts(), "#hosts-panel") });
for (const c of CHARTS) {
  registerPanelKind({
    kind: `hosts.${c.id}`,
    title: (p: PanelParams) => [t(c.title), p.host].filter(Boolean).join(" · "),
    w: 6,
    h: 4,
    create: () => onlyPart(new Hosts(), `#host-${c.id}-panel`),
  });
}

class Hosts implements PageView {
  readonly el: HTMLElement;
  private readonly listPanel = new Panel(t("hv.title"), { id: "hosts-panel", hint: t("hv.hint") });
  private readonly detail = h("div", { class: "host-detail", id: "host-detail", hidden: true });
  private readonly charts = new Map<string, { panel: Panel; chart: Chart }>();
  private readonly instPanel = new Panel(t("hv.instances"), { id: "host-instances-panel" });
  private ctx!: Ctx;

  constructor(ctx?: Ctx) {
    if (ctx) this.ctx = ctx;
    pinInto(this.listPanel.el, "hosts.list", () => ({}));
    const row = h("div", { class: "row two host-charts" });
    for (const c of CHARTS) {
      const panel = new Panel(t(c.title), { id: `host-${c.id}-panel` });
      const box = h("div", { class: "chart-box short", id: `host-${c.id}-chart` });
      panel.body.append(box);
      row.append(panel.el);
      pinInto(panel.el, `hosts.${c.id}`, () => ({ host: this.ctx?.state.extra.host ?? "" }));
      this.charts.set(c.id, { panel, chart: new Chart(box, { renderer: "svg" }) });
    }
    this.detail.append(h("h2", { class: "section-title", id: "host-title" }), row, this.instPanel.el);
    this.el = h("div", { class: "page hosts", id: "page-hosts" }, this.listPanel.el, this.detail);
  }

  async refresh(ctx: Ctx, signal: AbortSignal): Promise<void> {
    this.ctx = ctx;
    await Promise.all([this.loadList(signal), this.loadHost(signal)]);
  }

  private choose(host: string): void {
    this.ctx.setExtra({ host });
    this.ctx = { ...this.ctx, state: { ...this.ctx.state, extra: { ...this.ctx.state.extra, host } } };
    const ac = new AbortController();
    void Promise.all([this.loadList(ac.signal), this.loadHost(ac.signal)]);
  }

  private async loadList(signal: AbortSignal): Promise<void> {
    let body: HostList;
    try {
      body = await hostApi.list(this.ctx.window, signal);
    } catch (err) {
      if ((err as Error).name === "AbortError") throw err;
      this.listPanel.setStatus(errorBox(err));
      return;
    }
    const rows = body.hosts;
    this.listPanel.setTitle(`${t("hv.title")} (${rows.length})`);
    if (!rows.length) {
      view(this.listPanel.body, nothing);
      this.listPanel.setStatus(emptyState(t("hv.none"), t("hv.noneBody")));
      return;
    }
    const chosen = this.ctx.state.extra.host ?? "";
    view(
      this.listPanel.body,
      table({
        id: "hosts-table",
        head: [t("hv.host"), t("hv.cpu"), t("hv.memory"), t("hv.load1"), t("hv.disk"), t("hv.network"), t("hv.instances"), t("hv.pods"), t("hv.lastSeen")],
        rows,
        key: (r) => r.host,
        row: (r: HostRow) => html`<tr class="clickable ${r.host === chosen ? "selected" : ""}" tabindex="0" data-host=${r.host}
            data-cpu=${r.cpu_utilization ?? ""} data-memory=${r.memory_utilization ?? ""} data-load=${r.load_1m ?? ""}
            data-instances=${r.instances} data-pods=${r.pods}
            @click=${() => this.choose(r.host)} @keydown=${onRowKey(() => this.choose(r.host))}>
          <td class="host"><b>${r.host}</b></td>
          <td class="num cpu">${fmtPct(r.cpu_utilization)}</td>
          <td class="num memory" title=${r.memory_used_bytes === null ? "" : `${fmtBytes(r.memory_used_bytes)} / ${fmtBytes(r.memory_total_bytes)}`}>${fmtPct(r.memory_utilization)}</td>
          <td class="num load">${r.load_1m === null ? "–" : fmtNum(r.load_1m, 2)}</td>
          <td class="num disk">${r.disk_bytes_per_s === null ? "–" : `${fmtBytes(r.disk_bytes_per_s)}/s`}</td>
          <td class="num network">${r.network_bytes_per_s === null ? "–" : `${fmtBytes(r.network_bytes_per_s)}/s`}</td>
          <td class="num instances">${r.instances}</td>
          <td class="num pods">${r.pods}</td>
          <td class="last-seen">${r.last_seen === null ? "–" : when(r.last_seen)}</td>
        </tr>`,
      }),
    );
    this.listPanel.setStatus(null);
  }

  private async loadHost(signal: AbortSignal): Promise<void> {
    const host = this.ctx.state.extra.host ?? "";
    this.detail.hidden = !host;
    if (!host) return;
    let body: Detail;
    try {
      body = await hostApi.host(host, this.ctx.window, signal);
    } catch (err) {
      if ((err as Error).name === "AbortError") throw err;
      this.instPanel.setStatus(errorBox(err));
      return;
    }
    if (body.host !== (this.ctx.state.extra.host ?? "")) return;
    const title = this.detail.querySelector("#host-title") as HTMLElement;
    title.textContent = body.host;
    title.dataset.host = body.host;
    for (const c of CHARTS) {
      const { panel, chart } = this.charts.get(c.id)!;
      const series = c.fields.map(([label, field]) => ({
        type: "line",
        name: t(label),
        showSymbol: false,
        connectNulls: false,
        data: body.points.map((p: Point) => [p.ts, p[field]]),
      }));
      const drawn = body.points.filter((p) => c.fields.some(([, f]) => p[f] !== null)).length;
      const option: Option = { ...baseOption(), xAxis: timeAxis(this.ctx.window), yAxis: valueAxis(c.fmt), series };
      chart.set(option, drawn, true);
      panel.setStatus(drawn ? null : emptyState(t("hv.noMetrics")), drawn > 0);
    }
    const ctx = this.ctx;
    view(
      this.instPanel.body,
      body.instances.length
        ? table({
            id: "host-instances-table",
            head: [t("hv.service"), t("hv.instance"), t("hv.pod"), t("hv.processCpu"), t("hv.rss"), t("hv.lastSeen")],
            rows: body.instances,
            key: (i) => i.instance,
            row: (i) => html`<tr data-service=${i.service} data-instance=${i.instance} data-pod=${i.pod ?? ""}>
              <td><a class="dash-link" href=${ctx.href({ page: "dashboard", sub: "", service: i.service, instance: "", extra: {} })}>${i.service}</a></td>
              <td><a class="inst-link" title=${i.instance} href=${ctx.href({ page: "dashboard", sub: "", service: i.service, instance: i.instance, extra: {} })}>${i.instance_name}</a></td>
              <td>${i.pod ? html`${i.namespace ? `${i.namespace}/` : ""}${i.pod}${i.cluster ? html` <span class="muted">(${i.cluster})</span>` : nothing}` : "–"}</td>
              <td class="num">${i.process_cpu === null ? "–" : fmtNum(i.process_cpu, 2)}</td>
              <td class="num">${fmtBytes(i.process_memory_bytes)}</td>
              <td>${when(i.last_seen)}</td>
            </tr>`,
          })
        : html`<p class="muted">${t("hv.noInstances")}</p>`,
    );
    this.instPanel.setTitle(`${t("hv.instances")} (${body.instances.length})`);
    this.instPanel.setStatus(null);
  }

  dispose(): void {
    for (const { chart } of this.charts.values()) chart.dispose();
  }
}
