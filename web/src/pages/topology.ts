// Topology maps (F4): application-group and instance level. Layered left-to-right
// layout (callers before callees, databases and external hosts last), computed
// deterministically and remembered, so nodes stay put between refreshes.

import { api, type InstanceRow, type TopoEdge, type TopoNode } from "../api";
import { Chart, baseOption, palette } from "../charts";
import { emptyState, errorBox, h, Panel } from "../dom";
import { esc, fmtMs, fmtNum, fmtPct, shortId } from "../format";
import { t } from "../i18n";
import type { Ctx, PageView } from "../page";

type Level = "service" | "instance";

/** Remembered node positions per level, so a refresh never moves a known node. */
const positions = new Map<string, [number, number]>();

export function createTopology(ctx: Ctx): PageView {
  return new Topology(ctx.state.extra.level === "instance" ? "instance" : "service");
}

class Topology implements PageView {
  readonly el: HTMLElement;
  private readonly panel: Panel;
  private readonly chart: Chart;
  private ctx: Ctx | null = null;
  private nodes: TopoNode[] = [];

  constructor(private readonly level: Level) {
    const tabs = h(
      "div",
      { class: "tabs" },
      (["service", "instance"] as Level[]).map((l) =>
        h(
          "button",
          {
            class: `btn seg ${l === level ? "on" : ""}`,
            "data-level": l,
            onclick: () => this.ctx?.navigate({ extra: { level: l } }),
          },
          t(l === "service" ? "topo.service" : "topo.instance"),
        ),
      ),
    );
    this.panel = new Panel(t(level === "service" ? "topo.service" : "topo.instance"), { id: "topology-panel", hint: t("topo.hint"), actions: tabs });
    const box = h("div", { class: "chart-box topo", id: "topology-chart" });
    this.panel.body.append(box, legend());
    this.chart = new Chart(box);
    this.chart.inst.on("click", (p: unknown) => this.onClick(p as { dataType?: string; data?: { id?: string } }));
    this.el = h("div", { class: "page topology", id: "page-topology" }, this.panel.el);
  }

  async refresh(ctx: Ctx, signal: AbortSignal): Promise<void> {
    this.ctx = ctx;
    let topo: { nodes: TopoNode[]; edges: TopoEdge[] };
    let inst: InstanceRow[] = [];
    try {
      const secs = Math.round((ctx.window.to - ctx.window.from) / 1000);
      const [tp, ir] = await Promise.all([
        api.topology(this.level, ctx.window, signal),
        this.level === "instance" ? api.instances(undefined, secs, ctx.window, signal) : Promise.resolve({ instances: [] }),
      ]);
      topo = tp;
      inst = ir.instances;
    } catch (err) {
      if ((err as Error).name === "AbortError") throw err;
      this.panel.setStatus(errorBox(err), this.nodes.length > 0);
      return;
    }
    this.nodes = topo.nodes;
    this.render(ctx, topo.nodes, topo.edges, inst);
  }

  private render(ctx: Ctx, nodes: TopoNode[], edges: TopoEdge[], inst: InstanceRow[]): void {
    const p = palette();
    const layout = layoutNodes(this.level, nodes, edges);
    const health = new Map<string, { error_rate: number; apdex?: number; tps?: number; avg_ms?: number }>();
    if (this.level === "service") for (const s of ctx.services) health.set(s.name, s);
    else for (const r of inst) health.set(r.instance, r), health.set(`${r.service}/${r.instance}`, r), health.set(`${r.service}:${r.instance}`, r);
    // Databases and external hosts take their health from the calls into them.
    const incoming = new Map<string, { calls: number; errors: number }>();
    for (const e of edges) {
      const x = incoming.get(e.target) ?? { calls: 0, errors: 0 };
      x.calls += e.calls;
      x.errors += e.calls * e.error_rate;
      incoming.set(e.target, x);
    }
    const colorOf = (n: TopoNode) => {
      const hs = health.get(n.id) ?? (n.instance ? health.get(n.instance) : undefined);
      const inc = incoming.get(n.id);
      const er = hs ? hs.error_rate : inc && inc.calls ? inc.errors / inc.calls : 0;
      const apdex = hs?.apdex ?? 1;
      if (er > 0.05 || apdex < 0.7) return p.bad;
      if (er > 0.01 || apdex < 0.85) return p.warn;
      return p.good;
    };
    const data = nodes.map((n) => {
      const [x, y] = layout.get(n.id)!;
      const hs = health.get(n.id);
      const kind = n.kind === "database" ? "database" : n.kind === "external" ? "external" : "service";
      return {
        id: n.id,
        name: n.id,
        x,
        y,
        kind,
        symbol: kind === "database" ? DB_SYMBOL : kind === "external" ? "diamond" : "circle",
        symbolSize: kind === "service" ? 46 : 40,
        itemStyle: { color: kind === "service" ? colorOf(n) : p.tooltipBg, borderColor: colorOf(n), borderWidth: kind === "service" ? 0 : 3 },
        label: {
          show: true,
          position: "bottom",
          color: p.text,
          lineHeight: 15,
          formatter:
            kind !== "service"
              ? `${n.id}\n${t(kind === "database" ? "topo.database" : "topo.external")}`
              : n.service && n.service !== n.id
                ? `${n.service}\n${shortId(n.instance ?? n.id)}`
                : n.id,
        },
        tooltip: {
          formatter: hs
            ? `<b>${esc(n.id)}</b><br/>TPS ${fmtNum(hs.tps ?? NaN, 2)} · ${fmtMs(hs.avg_ms)} · ${t("dash.errorRate")} ${fmtPct(hs.error_rate)}${hs.apdex !== undefined ? ` · APDEX ${hs.apdex.toFixed(2)}` : ""}`
            : `<b>${esc(n.id)}</b> (${esc(n.kind)})`,
        },
      };
    });
    const links = edges.map((e) => ({
      source: e.source,
      target: e.target,
      value: e.tps,
      lineStyle: { color: e.error_rate > 0.05 ? p.bad : e.error_rate > 0.01 ? p.warn : p.muted, width: Math.min(6, 1 + Math.log2(1 + e.tps)), curveness: 0.08 },
      label: { show: true, formatter: `${fmtNum(e.tps, 1)}/s · ${fmtMs(e.avg_ms)}`, color: p.text, fontSize: 11 },
      tooltip: { formatter: `${esc(e.source)} → ${esc(e.target)}<br/>${fmtNum(e.calls, 0)} calls · ${fmtNum(e.tps, 2)}/s · ${fmtMs(e.avg_ms)} · ${fmtPct(e.error_rate)}` },
    }));
    this.chart.set(
      {
        ...baseOption(),
        tooltip: { ...(baseOption().tooltip as object), trigger: "item" },
        series: [
          {
            type: "graph",
            layout: "none",
            roam: true,
            draggable: false,
            edgeSymbol: ["none", "arrow"],
            edgeSymbolSize: 9,
            data,
            links,
            emphasis: { focus: "adjacency" },
            lineStyle: { opacity: 0.9 },
            edgeLabel: { show: true },
          },
        ],
      },
      nodes.length,
    );
    this.chart.el.dataset.nodes = nodes.map((n) => `${n.kind}:${n.id}`).join("|");
    this.panel.setStatus(nodes.length ? null : emptyState(t("topo.empty")), nodes.length > 0);
  }

  private onClick(p: { dataType?: string; data?: { id?: string } }): void {
    if (p.dataType !== "node" || !p.data?.id || !this.ctx) return;
    const node = this.nodes.find((n) => n.id === p.data!.id);
    if (!node || node.kind !== "service") return;
    const [service, instance] = splitInstance(node, this.ctx.services.map((s) => s.name));
    this.ctx.navigate({ page: "dashboard", service, instance, sub: "", extra: {} });
  }

  dispose(): void {
    this.chart.dispose();
  }
}

/** Instance nodes carry `service`/`instance`, or an id like `service/instance`. */
function splitInstance(n: TopoNode, services: string[]): [string, string] {
  if (n.service) return [n.service, n.instance ?? (n.id !== n.service ? n.id : "")];
  if (services.includes(n.id)) return [n.id, ""];
  for (const sep of ["/", ":", "@"]) {
    const i = n.id.indexOf(sep);
    if (i > 0 && services.includes(n.id.slice(0, i))) return [n.id.slice(0, i), n.id.slice(i + 1)];
  }
  return [n.id, ""];
}

function layoutNodes(level: Level, nodes: TopoNode[], edges: TopoEdge[]): Map<string, [number, number]> {
  const depth = new Map<string, number>(nodes.map((n) => [n.id, 0]));
  // Longest-path layering; bounded passes so a cycle cannot loop forever.
  for (let pass = 0; pass < nodes.length; pass++) {
    let changed = false;
    for (const e of edges) {
      const d = (depth.get(e.source) ?? 0) + 1;
      if (e.source !== e.target && d > (depth.get(e.target) ?? 0) && d < nodes.length) {
        depth.set(e.target, d);
        changed = true;
      }
    }
    if (!changed) break;
  }
  const maxService = Math.max(0, ...nodes.filter((n) => n.kind === "service").map((n) => depth.get(n.id) ?? 0));
  for (const n of nodes) if (n.kind !== "service") depth.set(n.id, maxService + 1);
  const layers = new Map<number, string[]>();
  for (const n of [...nodes].sort((a, b) => a.id.localeCompare(b.id))) {
    const d = depth.get(n.id) ?? 0;
    layers.set(d, [...(layers.get(d) ?? []), n.id]);
  }
  const out = new Map<string, [number, number]>();
  for (const [d, ids] of layers) {
    ids.forEach((id, i) => {
      const key = `${level}|${id}`;
      const known = positions.get(key);
      const pos: [number, number] = known ?? [d * 260, (i - (ids.length - 1) / 2) * 120];
      positions.set(key, pos);
      out.set(id, pos);
    });
  }
  return out;
}

function legend(): HTMLElement {
  const p = palette();
  const item = (c: string, label: string, shape = "dot") => h("span", null, h("i", { class: shape, style: `background:${c}` }), label);
  return h(
    "div",
    { class: "legend" },
    item(p.good, t("topo.legendHealthy")),
    item(p.warn, t("topo.legendWarn")),
    item(p.bad, t("topo.legendBad")),
    item(p.muted, t("topo.database"), "db"),
    item(p.muted, t("topo.external"), "ext"),
  );
}

const DB_SYMBOL =
  "path://M0,4 C0,1.8 4.5,0 10,0 C15.5,0 20,1.8 20,4 L20,16 C20,18.2 15.5,20 10,20 C4.5,20 0,18.2 0,16 Z M0,4 C0,6.2 4.5,8 10,8 C15.5,8 20,6.2 20,4";
