// The group dashboard (issue 13, item 4): several services side by side, chosen by a list
// (`#/group?services=a,b`) or a label (`?label=namespace:shop`, from the namespaces,
// clusters and teams seen): a tile row per service, the map among them (placed by the
// topology page's layout, `layoutTopology`), and per-service TPS, response time and error
// rate on shared time axes (the three charts' tooltips move together). With nothing
// chosen it shows the busiest services.

import "./views.css";
import { get } from "../api";
import type { Ok } from "../api/types";
import { Chart, baseOption, echarts, palette, timeAxis, valueAxis } from "../charts";
import { emptyState, errorBox, h, html, Panel, view } from "../dom";
import { fmtMs, fmtNum, fmtPct } from "../format";
import { t } from "../i18n";
import type { Ctx, PageView } from "../page";
import { onlyPart, pinButton, pinInto, registerPanelKind, type PanelParams } from "../pin";
import { TMap } from "./tmap";
import { layoutTopology, type BlockIn, type EdgeIn } from "./topology_layout";

type Group = Ok<"/api/v1/groups">;
type Labels = Ok<"/api/v1/groups/labels">;
type GroupHeatmap = Ok<"/api/v1/groups/heatmap">;
type GroupTransactions = Ok<"/api/v1/groups/transactions">;
/** The group a request is about: a list of services or a label. */
type Choice = { services?: string; label?: string };
type Tile = Group["services"][number];

/** Services shown when none are chosen: the busiest ones. */
const DEFAULT_SERVICES = 5;
const LABEL_KEYS = ["namespace", "cluster", "team"] as const;
const NODE = { width: 110, height: 58, anchorY: 18 };

export const groupApi = {
  group: (p: { from: number; to: number; services?: string; label?: string }, s?: AbortSignal) => get<Group>("/groups", p, s),
  labels: (w: { from: number; to: number }, s?: AbortSignal) => get<Labels>("/groups/labels", { ...w }, s),
  heatmap: (p: { from: number; to: number; step: number } & Choice, s?: AbortSignal) => get<GroupHeatmap>("/groups/heatmap", p, s),
  transactions: (p: { from: number; to: number; min_ms: number; max_ms?: number; limit: number } & Choice, s?: AbortSignal) => get<GroupTransactions>("/groups/transactions", p, s),
};

let groups = 0;

export function createGroup(): PageView {
  return new GroupPage();
}

/** Pinnable parts: kind `group.<part>` → the element shown, its title key, default size.
 *  A service's tile row (`group.tile`) is pinned as a group of that one service; the
 *  map and the charts keep the page's choice (services or label; none: the busiest). */
const PARTS = {
  tile: ["#group-tiles-part", "gv.services", 12, 2],
  topology: ["#group-topology-panel", "gv.topology", 12, 5],
  tmap: ["#group-tmap-panel", "gv.tmap", 12, 5],
  tps: ["#group-tps-panel", "gv.tps", 4, 4],
  avg: ["#group-avg-panel", "gv.avg", 4, 4],
  err: ["#group-err-panel", "gv.errorRate", 4, 4],
} as const;
for (const [part, [selector, label, w, h_]] of Object.entries(PARTS)) {
  registerPanelKind({
    kind: `group.${part}`,
    title: (p: PanelParams) => [part === "tile" ? "" : t(label), p.label ? labelText(p.label) : p.services?.split(",").join(", ")].filter(Boolean).join(" · "),
    w,
    h: h_,
    create: () => onlyPart(new GroupPage(), selector),
  });
}

class GroupPage implements PageView {
  readonly el: HTMLElement;
  private readonly picker = h("div", { class: "filters", id: "group-picker" });
  private readonly tiles = h("div", { class: "group-tiles", id: "group-tiles" });
  /** Empty or error state in place of the tiles (the tiles belong to lit). */
  private readonly status = h("div", { id: "group-status" });
  private readonly topoPanel = new Panel(t("gv.topology"), { id: "group-topology-panel" });
  private readonly topo: Chart;
  private readonly series = new Map<"tps" | "avg" | "err", { panel: Panel; chart: Chart }>();
  private readonly connectId = `group-${++groups}`;
  private labels: Labels | null = null;
  /** What a pin of the map or a chart pins: the page's choice. */
  private shown: PanelParams = {};
  /** Each service tile's pin control, kept across refreshes. */
  private readonly tilePins = new Map<string, HTMLButtonElement>();
  /** The services or label the T-Map shows (set before each refresh). */
  private choice: Choice = {};
  /** The group's T-Map: its services' cells summed; a selection lists all their transactions. */
  private readonly tmap = new TMap({
    id: "group-tmap",
    title: t("gv.tmap"),
    source: {
      showService: true,
      heatmap: (ctx, step, signal) => groupApi.heatmap({ ...ctx.window, step, ...this.choice }, signal),
      transactions: async (_ctx, r, signal) => (await groupApi.transactions({ ...r, ...this.choice }, signal)).transactions,
    },
  });

  constructor() {
    const box = h("div", { class: "chart-box", id: "group-topology" });
    this.topoPanel.body.append(box);
    this.topo = new Chart(box, { renderer: "svg" });
    pinInto(this.topoPanel.el, "group.topology", () => this.shown);
    pinInto(this.tmap.panel.el, "group.tmap", () => this.shown);
    const row = h("div", { class: "row group-series" });
    for (const [id, title] of [["tps", "gv.tps"], ["avg", "gv.avg"], ["err", "gv.errorRate"]] as const) {
      const panel = new Panel(t(title), { id: `group-${id}-panel` });
      const cbox = h("div", { class: "chart-box short", id: `group-${id}-chart` });
      panel.body.append(cbox);
      row.append(panel.el);
      pinInto(panel.el, `group.${id}`, () => this.shown);
      const chart = new Chart(cbox);
      chart.inst.group = this.connectId;
      this.series.set(id, { panel, chart });
    }
    echarts.connect(this.connectId);
    this.el = h("div", { class: "page group", id: "page-group" }, this.picker, h("div", { id: "group-tiles-part" }, this.status, this.tiles), this.topoPanel.el, h("div", { class: "row tmap-row" }, this.tmap.panel.el, this.tmap.listPanel.el), row);
  }

  async refresh(ctx: Ctx, signal: AbortSignal): Promise<void> {
    const x = ctx.state.extra;
    if (!this.labels) {
      try {
        this.labels = await groupApi.labels(ctx.window, signal);
      } catch (err) {
        if ((err as Error).name === "AbortError") throw err;
      }
    }
    const chosen = x.label ? null : x.services ? x.services.split(",").filter(Boolean) : null;
    const busiest = [...ctx.services].sort((a, b) => b.transactions - a.transactions).slice(0, DEFAULT_SERVICES).map((s) => s.name);
    const services = chosen ?? (x.label ? [] : busiest);
    this.shown = x.label ? { label: x.label } : chosen ? { services: chosen.join(",") } : {};
    this.renderPicker(ctx, x.label ? [] : services);
    if (!x.label && !services.length) {
      this.status.replaceChildren(emptyState(t("gv.none"), t("gv.noneBody")));
      return;
    }
    this.choice = x.label ? { label: x.label } : { services: services.join(",") };
    const map = this.tmap.refresh(ctx, signal).catch(() => {});
    let body: Group;
    try {
      body = await groupApi.group({ ...ctx.window, ...this.choice }, signal);
    } catch (err) {
      if ((err as Error).name === "AbortError") throw err;
      this.status.replaceChildren(errorBox(err));
      return;
    }
    this.renderTiles(ctx, body.services);
    this.renderTopology(body);
    this.renderSeries(ctx, body);
    await map;
  }

  private renderPicker(ctx: Ctx, services: string[]): void {
    const x = ctx.state.extra;
    const names = [...new Set([...ctx.services.map((s) => s.name), ...services])].sort();
    const labelOptions = LABEL_KEYS.flatMap((k) => (this.labels?.[k] ?? []).map((v) => `${k}:${v}`));
    if (x.label && !labelOptions.includes(x.label)) labelOptions.unshift(x.label);
    const apply = (e: Event) => {
      e.preventDefault();
      const sel = (e.currentTarget as HTMLFormElement).querySelector("select[multiple]") as HTMLSelectElement;
      const picked = [...sel.selectedOptions].map((o) => o.value);
      ctx.navigate({ extra: { ...x, services: picked.join(","), label: "" } });
    };
    view(
      this.picker,
      html`<form class="search-form filter-bar" id="group-form" @submit=${apply}>
        <label class="field"><span>${t("gv.services")}</span>
          <select multiple size="4" id="group-services" name="services">
            ${names.map((n) => html`<option value=${n} ?selected=${services.includes(n)}>${n}</option>`)}
          </select></label>
        <button class="btn" type="submit" id="group-apply">${t("gv.show")}</button>
        <label class="field"><span>${t("gv.orLabel")}</span>
          <select id="group-label" @change=${(e: Event) => ctx.navigate({ extra: { ...x, label: (e.target as HTMLSelectElement).value, services: "" } })}>
            <option value="" ?selected=${!x.label}>–</option>
            ${labelOptions.map((l) => html`<option value=${l} ?selected=${l === x.label}>${labelText(l)}</option>`)}
          </select></label>
      </form>`,
    );
  }

  private renderTiles(ctx: Ctx, tiles: Tile[]): void {
    this.status.replaceChildren(...(tiles.length ? [] : [emptyState(t("gv.empty"))]));
    view(
      this.tiles,
      html`${tiles.map(
        (s) => html`<section class="group-tile pinnable" data-service=${s.service} data-tps=${s.tps} data-transactions=${s.transactions}
            data-errors=${s.errors} data-avg=${s.avg_ms ?? ""}>
          <h3 style="display:flex;align-items:center;gap:6px"><a href=${ctx.href({ page: "dashboard", sub: "", service: s.service, instance: "", extra: {} })}>${s.service}</a>${this.tilePin(s.service)}</h3>
          <div class="tiles">
            ${tile(t("gv.tps"), fmtNum(s.tps, 2), "tps")}
            ${tile(t("gv.avg"), fmtMs(s.avg_ms), "avg")}
            ${tile(t("gv.errorRate"), fmtPct(s.error_rate), "err")}
            ${tile("APDEX", s.apdex === null ? "–" : fmtNum(s.apdex, 2), "apdex")}
            ${tile(t("gv.instances"), String(s.instances), "instances")}
          </div>
        </section>`,
      )}`,
    );
  }

  private tilePin(service: string): HTMLButtonElement {
    let btn = this.tilePins.get(service);
    if (!btn) {
      btn = pinButton("group.tile", () => ({ services: service }));
      this.tilePins.set(service, btn);
    }
    return btn;
  }

  private renderTopology(body: Group): void {
    const { nodes, edges } = body.topology;
    const p = palette();
    const ids = new Set(nodes.map((n) => n.id));
    const kept = edges.filter((e) => ids.has(e.source) && ids.has(e.target));
    const blocks: BlockIn[] = nodes.map((n) => ({ id: n.id, sink: n.kind !== "service", members: [{ id: n.id, ...NODE }] }));
    const edgesIn: EdgeIn[] = kept.map((e) => ({ source: e.source, target: e.target, label: { width: 70, height: 16 } }));
    const placed = layoutTopology(blocks, edgesIn);
    this.topo.el.dataset.nodes = String(nodes.length);
    this.topo.el.dataset.edges = String(kept.length);
    this.topo.el.style.height = `${Math.max(200, Math.min(560, placed.height + 40))}px`;
    const colour = (kind: string) => (kind === "service" ? p.series[0] : kind === "database" ? p.series[2] : p.muted);
    this.topo.set(
      {
        ...baseOption(),
        tooltip: { show: false },
        series: [
          {
            type: "graph",
            layout: "none",
            roam: true,
            symbolSize: 30,
            label: { show: true, position: "bottom", color: p.text },
            edgeSymbol: ["none", "arrow"],
            edgeLabel: { show: true, color: p.muted, fontSize: 10, formatter: (v: { data: { tps: number } }) => `${fmtNum(v.data.tps, 1)}/s` },
            data: nodes.map((n) => {
              const a = placed.anchors.get(n.id) ?? { x: 0, y: 0 };
              return { id: n.id, name: n.name, x: a.x, y: a.y, itemStyle: { color: colour(n.kind) }, symbol: n.kind === "database" ? "rect" : "circle" };
            }),
            links: kept.map((e) => ({
              source: e.source,
              target: e.target,
              tps: e.tps,
              lineStyle: { color: (e.error_rate ?? 0) >= 0.05 ? p.bad : p.axis, width: 1.5 },
            })),
          },
        ],
      },
      nodes.length,
      true,
    );
    this.topoPanel.setStatus(nodes.length ? null : emptyState(t("gv.empty")), nodes.length > 0);
  }

  private renderSeries(ctx: Ctx, body: Group): void {
    const pick = {
      tps: (pt: Group["series"][number]["points"][number]) => pt.tps,
      avg: (pt: Group["series"][number]["points"][number]) => pt.avg_ms,
      err: (pt: Group["series"][number]["points"][number]) => pt.error_rate,
    };
    const fmt = { tps: (v: number) => fmtNum(v, 1), avg: (v: number) => fmtMs(v), err: (v: number) => fmtPct(v) };
    for (const [id, { panel, chart }] of this.series) {
      chart.el.dataset.transactions = String(body.series.reduce((n, s) => n + s.points.reduce((m, pt) => m + pt.transactions, 0), 0));
      chart.set(
        {
          ...baseOption(),
          xAxis: timeAxis(ctx.window),
          yAxis: valueAxis(fmt[id]),
          series: body.series.map((s) => ({ type: "line", name: s.service, showSymbol: false, data: s.points.map((pt) => [pt.ts, pick[id](pt)]) })),
        },
        body.series.reduce((n, s) => n + s.points.length, 0),
        true,
      );
      panel.setStatus(body.series.length ? null : emptyState(t("gv.empty")), body.series.length > 0);
    }
  }

  dispose(): void {
    echarts.disconnect(this.connectId);
    this.topo.dispose();
    this.tmap.dispose();
    for (const { chart } of this.series.values()) chart.dispose();
  }
}

function tile(label: string, value: string, id: string) {
  return html`<div class="tile" data-tile=${id}><div class="tile-label">${label}</div><div class="tile-value">${value}</div></div>`;
}

function labelText(l: string): string {
  const [k, ...v] = l.split(":");
  return `${t(`gv.label.${k as (typeof LABEL_KEYS)[number]}`)}: ${v.join(":")}`;
}

