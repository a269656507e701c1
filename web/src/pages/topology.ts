// Topology maps (F4): application and instance level (instances boxed by service), laid
// out by `topology_layout.ts` (dagre, left to right: callers before callees, databases
// and external hosts last; every edge label has its own space) and drawn one layout pixel
// to one screen pixel, so nothing overlaps. The layout of each level is kept while every
// node and edge shown has its place in it, so a refresh that brings nothing new never
// moves a node; a new one lays the map out again, other blocks keeping their order.

import { api, type InstanceRow, type TopoEdge, type TopoNode } from "../api";
import { Chart, baseOption, palette, type Palette } from "../charts";
import { emptyState, errorBox, h, Panel } from "../dom";
import { esc, fmtMs, fmtNum, fmtPct, shortId } from "../format";
import { t } from "../i18n";
import type { Ctx, PageView } from "../page";
import { pinInto, registerPanelKind } from "../pin";
import { edgeKey, layoutTopology, SPACING, type BlockIn, type EdgeIn, type Placed } from "./topology_layout";

type Level = "service" | "instance";
type Kind = "service" | "database" | "external";
/** `name` (every node) and `instance_name` (instance nodes) as the API adds them. */
type Node = TopoNode & { name?: string | null; instance_name?: string | null };

const FONT_SIZE = 12;
const LINE_HEIGHT = 15;
const EDGE_FONT_SIZE = 11;
const EDGE_PAD: [number, number] = [1, 3];
const LABEL_DISTANCE = 5;
const SYMBOL: Record<Level, Record<Kind, number>> = {
  service: { service: 44, database: 38, external: 38 },
  instance: { service: 28, database: 32, external: 32 },
};
/** Space above and below the layout inside the chart (sideways: the layout's own margin). */
const MARGIN = 12;

/** A layout and the room it reserved: member id → [block, width, height], block → title
 *  width, edge → label width. */
interface Kept {
  placed: Placed;
  members: Map<string, [string, number, number]>;
  titles: Map<string, number>;
  edges: Map<string, number>;
}

/** The last layout of each level. Module state, so it outlives the page (navigating away
 *  and back keeps the map where it was). */
const layouts = new Map<Level, Kept>();

export function createTopology(ctx: Ctx): PageView {
  return new Topology(ctx.state.extra.level === "instance" ? "instance" : "service");
}

registerPanelKind({
  kind: "topology.map",
  title: (p) => t(p.level === "instance" ? "topo.instance" : "topo.service"),
  w: 12,
  h: 6,
  create: (p) => new Topology(p.level === "instance" ? "instance" : "service"),
});

interface Drawn {
  node: Node;
  kind: Kind;
  lines: string[];
  size: number;
}

class Topology implements PageView {
  readonly el: HTMLElement;
  private readonly panel: Panel;
  private readonly chart: Chart;
  private readonly scroller: HTMLElement;
  private ctx: Ctx | null = null;
  private nodes: Node[] = [];
  private renders = 0;
  /** What the last render drew, written to `data-drawn` once ECharts has finished. */
  private drawn: { nodes: Drawn[]; edges: { e: TopoEdge; text: string; id: string }[]; groups: { id: string; service: string }[] } | null = null;

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
    // A map wider than the panel scrolls rather than squeezing nodes onto each other.
    this.scroller = h("div", { style: "overflow-x:auto" }, box);
    this.panel.body.append(this.scroller, legend());
    // SVG, so the browser tests measure what is really drawn (text boxes, node shapes).
    this.chart = new Chart(box, { renderer: "svg" });
    this.chart.inst.on("click", (p: unknown) => this.onClick(p as { dataType?: string; data?: { id?: string; service?: string } }));
    this.chart.inst.on("finished", () => this.writeDrawn());
    pinInto(this.panel.el, "topology.map", () => ({ level: this.level }));
    this.el = h("div", { class: "page topology", id: "page-topology" }, this.panel.el);
  }

  async refresh(ctx: Ctx, signal: AbortSignal): Promise<void> {
    this.ctx = ctx;
    let topo: { nodes: Node[]; edges: TopoEdge[] };
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
    this.render(ctx, topo.nodes, mergeEdges(topo.edges), inst);
  }

  private render(ctx: Ctx, nodes: Node[], edges: TopoEdge[], inst: InstanceRow[]): void {
    const p = palette();
    const level = this.level;
    const health = new Map<string, { error_rate: number | null; apdex?: number | null; tps?: number | null; avg_ms?: number | null }>();
    const instName = new Map<string, string>();
    if (level === "service") for (const s of ctx.services) health.set(s.name, s);
    else
      for (const r of inst) {
        health.set(r.instance, r);
        if (r.instance_name) instName.set(r.instance, r.instance_name);
      }
    // Databases and external hosts take their health from the calls into them.
    const incoming = new Map<string, { calls: number; errors: number }>();
    for (const e of edges) {
      const x = incoming.get(e.target) ?? { calls: 0, errors: 0 };
      x.calls += e.calls;
      x.errors += e.calls * (e.error_rate ?? 0);
      incoming.set(e.target, x);
    }
    const colorOf = (n: Node) => {
      const hs = health.get(n.id) ?? (n.instance ? health.get(n.instance) : undefined);
      const inc = incoming.get(n.id);
      const er = hs ? (hs.error_rate ?? 0) : inc && inc.calls ? inc.errors / inc.calls : 0;
      const apdex = hs?.apdex ?? 1;
      if (er > 0.05 || apdex < 0.7) return p.bad;
      if (er > 0.01 || apdex < 0.85) return p.warn;
      return p.good;
    };

    const font = (baseOption().textStyle as { fontFamily: string }).fontFamily;
    const drawn = nodes.map((n): Drawn => {
      const kind: Kind = n.kind === "database" ? "database" : n.kind === "external" ? "external" : "service";
      // Instance ids are often UUIDs: without a name, the id's start (full id on hover).
      const name =
        n.name ||
        (kind !== "service" ? (level === "instance" ? n.service : undefined) : level === "instance" ? n.instance_name || instName.get(n.id) || shortId(ctx.instanceName(n.id)) : undefined) ||
        n.id;
      // A database's name ends in its host (`postgresql:orders@orders-db…`): on hover only.
      const lines = kind === "service" ? [name] : [name.split("@")[0] || name, t(kind === "database" ? "topo.database" : "topo.external")];
      return { node: n, kind, lines, size: SYMBOL[level][kind] };
    });
    uniqueNames(drawn);
    const edgeText = (e: TopoEdge) => `${fmtNum(e.tps, 1)}/s · ${fmtMs(e.avg_ms)}`;
    const measure = measurer(font);
    const placed = this.layout(drawn, edges, edgeText, measure);

    const byId = new Map(drawn.map((d) => [d.node.id, d]));
    // The layout's corners: the view's bounding box is then the layout's own (see below).
    const corner = { symbol: "none", symbolSize: 0, label: { show: false }, tooltip: { show: false } };
    const data: Record<string, unknown>[] = [
      { id: `${SYNTH}c0`, x: 0, y: 0, ...corner },
      { id: `${SYNTH}c1`, x: placed.width, y: placed.height, ...corner },
    ];
    const groups: { id: string; service: string }[] = [];
    const present = new Set(drawn.map((d) => (level === "instance" && d.kind === "service" ? GROUP + (d.node.service ?? d.node.id) : "")));
    for (const [id, b] of placed.groups) {
      if (!present.has(id)) continue; // kept from a layout made when it had calls
      const service = id.slice(GROUP.length);
      groups.push({ id, service });
      data.push({
        id,
        service,
        x: b.x,
        y: b.y,
        symbol: "rect",
        symbolSize: [b.width, b.height],
        itemStyle: { color: "rgba(127,127,127,0.06)", borderColor: p.axis, borderWidth: 1 },
        label: { show: true, position: "insideTop", distance: SPACING.pad, formatter: service, color: p.muted, fontWeight: "bold", fontSize: FONT_SIZE, lineHeight: LINE_HEIGHT },
        tooltip: { formatter: `<b>${esc(service)}</b>` },
      });
    }
    for (const d of drawn) {
      const a = placed.anchors.get(d.node.id);
      if (!a) continue;
      const n = d.node;
      const hs = health.get(n.id);
      const c = colorOf(n);
      data.push({
        id: n.id,
        x: a.x,
        y: a.y,
        symbol: d.kind === "database" ? DB_SYMBOL : d.kind === "external" ? "diamond" : "circle",
        symbolSize: d.size,
        itemStyle: { color: d.kind === "service" ? c : p.tooltipBg, borderColor: c, borderWidth: d.kind === "service" ? 0 : 3 },
        label: { show: true, position: "bottom", distance: LABEL_DISTANCE, color: p.text, fontSize: FONT_SIZE, lineHeight: LINE_HEIGHT, formatter: d.lines.join("\n") },
        tooltip: {
          // The name, and the full id when it differs (an instance's UUID, a database's host).
          formatter: `<b>${esc(d.lines[0])}</b>${d.lines[0] !== n.id ? `<br/>${esc(n.id)}` : ""}<br/>${
            hs
              ? `TPS ${fmtNum(hs.tps ?? NaN, 2)} · ${fmtMs(hs.avg_ms)} · ${t("dash.errorRate")} ${fmtPct(hs.error_rate)}${hs.apdex != null ? ` · APDEX ${hs.apdex.toFixed(2)}` : ""}`
              : esc(d.kind === "service" ? n.kind : d.lines[1])
          }`,
        },
      });
    }
    const panelBg = getComputedStyle(document.documentElement).getPropertyValue("--panel").trim() || p.tooltipBg;
    const links: Record<string, unknown>[] = [];
    const drawnEdges: { e: TopoEdge; text: string; id: string }[] = [];
    edges.forEach((e, i) => {
      const r = placed.edges.get(edgeKey(e.source, e.target));
      if (!r || !byId.has(r.source) || !byId.has(r.target)) return;
      const text = edgeText(e);
      const id = `${SYNTH}l${i}`;
      const tip = { formatter: `${esc(e.source)} → ${esc(e.target)}<br/>${fmtNum(e.calls, 0)} calls · ${fmtNum(e.tps, 2)}/s · ${fmtMs(e.avg_ms)} · ${fmtPct(e.error_rate)}` };
      const color = (e.error_rate ?? 0) > 0.05 ? p.bad : (e.error_rate ?? 0) > 0.01 ? p.warn : p.muted;
      const ids = r.route.map((_, j) => (j === 0 ? r.source : j === r.route.length - 1 ? r.target : `${SYNTH}w${i}.${j}`));
      r.route.forEach((pt, j) => {
        if (j > 0 && j < r.route.length - 1) data.push({ id: ids[j], x: pt.x, y: pt.y, symbol: "none", symbolSize: 0, label: { show: false }, tooltip: { show: false } });
      });
      for (let j = 0; j + 1 < ids.length; j++)
        links.push({
          source: ids[j],
          target: ids[j + 1],
          symbol: ["none", j + 2 === ids.length ? "arrow" : "none"],
          lineStyle: { color, width: Math.min(5, 1 + Math.log2(1 + (e.tps ?? 0))), curveness: 0 },
          tooltip: tip,
        });
      data.push({
        id,
        x: r.label.x,
        y: r.label.y,
        symbol: "rect",
        symbolSize: [Math.min(r.label.width, Math.ceil(measure(text, EDGE_FONT_SIZE)) + 2 * EDGE_PAD[1]), r.label.height],
        // The label sits on its line: the panel colour hides the line behind the text.
        itemStyle: { color: panelBg },
        label: { show: true, position: "inside", formatter: text, color: p.text, fontSize: EDGE_FONT_SIZE, lineHeight: EDGE_FONT_SIZE + 3 },
        tooltip: tip,
      });
      drawnEdges.push({ e, text, id });
    });

    // One layout pixel is one screen pixel: ECharts fits the points' bounding box (the
    // layout's, thanks to the corners) into the series' rectangle, of the same size.
    const box = this.chart.el;
    box.style.minHeight = `${Math.ceil(placed.height + 2 * MARGIN)}px`;
    box.style.minWidth = `${Math.ceil(placed.width)}px`;
    this.renders++;
    this.drawn = { nodes: drawn.filter((d) => placed.anchors.has(d.node.id)), edges: drawnEdges, groups };
    this.chart.set(
      {
        ...baseOption(),
        tooltip: { ...(baseOption().tooltip as object), trigger: "item" },
        series: [
          {
            type: "graph",
            layout: "none",
            roam: false,
            draggable: false,
            left: "center",
            top: MARGIN,
            width: Math.max(1, placed.width),
            height: Math.max(1, placed.height),
            data,
            links,
            edgeSymbolSize: 8,
            // No hover growth or fading: the layout reserved exactly the drawn sizes.
            emphasis: { disabled: true },
            lineStyle: { opacity: 0.9 },
          },
        ],
      },
      nodes.length,
    );
    this.chart.el.dataset.nodes = nodes.map((n) => `${n.kind}:${n.id}`).join("|");
    this.panel.setStatus(nodes.length ? null : emptyState(t("topo.empty")), nodes.length > 0);
  }

  /** The kept layout when everything shown fits in it; else a new one (kept from now). */
  private layout(drawn: Drawn[], edges: TopoEdge[], edgeText: (e: TopoEdge) => string, measure: Measure): Placed {
    const level = this.level;
    // Reserve room for a typical busy label, so changing figures rarely need a new layout.
    const typical = measure(`${fmtNum(88.8, 1)}/s · ${fmtMs(8.88)}`, EDGE_FONT_SIZE);
    const ids = new Set(drawn.map((d) => d.node.id));
    const edgeIn: EdgeIn[] = edges
      .filter((e) => ids.has(e.source) && ids.has(e.target))
      .map((e) => ({
        source: e.source,
        target: e.target,
        label: {
          width: Math.ceil(Math.max(typical, measure(edgeText(e), EDGE_FONT_SIZE)) / 8) * 8 + 2 * EDGE_PAD[1],
          height: EDGE_FONT_SIZE + 3 + 2 * EDGE_PAD[0],
        },
      }));
    const member = (d: Drawn) => ({
      id: d.node.id,
      width: Math.ceil(Math.max(d.size, ...d.lines.map((l) => measure(l, FONT_SIZE)))),
      height: d.size + LABEL_DISTANCE + d.lines.length * LINE_HEIGHT,
      anchorY: d.size / 2,
    });
    const blocks = new Map<string, BlockIn>();
    for (const d of [...drawn].sort((a, b) => (a.lines[0] < b.lines[0] ? -1 : a.lines[0] > b.lines[0] ? 1 : 0))) {
      const grouped = level === "instance" && d.kind === "service";
      const id = grouped ? GROUP + (d.node.service ?? d.node.id) : d.node.id;
      const b = blocks.get(id) ?? { id, members: [], sink: d.kind !== "service" };
      if (grouped && !b.title) b.title = { width: measure(d.node.service ?? d.node.id, FONT_SIZE, "bold"), height: LINE_HEIGHT };
      b.members.push(member(d));
      blocks.set(id, b);
    }
    // Kept while everything drawn has its place in it (nodes and edges that stop being
    // called just leave a gap): a refresh that brings nothing new never moves a node.
    const last = layouts.get(level);
    const fits =
      last &&
      [...blocks.values()].every(
        (b) =>
          (!b.title || (last.titles.get(b.id) ?? -1) >= b.title.width) &&
          b.members.every((m) => {
            const k = last.members.get(m.id);
            return k !== undefined && k[0] === b.id && k[1] >= m.width && k[2] === m.height;
          }),
      ) &&
      edgeIn.every((e) => (last.edges.get(edgeKey(e.source, e.target)) ?? -1) >= e.label.width);
    if (last && fits) return last.placed;
    const placed = layoutTopology([...blocks.values()], edgeIn, last?.placed);
    layouts.set(level, {
      placed,
      members: new Map([...blocks.values()].flatMap((b) => b.members.map((m) => [m.id, [b.id, m.width, m.height] as [string, number, number]]))),
      titles: new Map([...blocks.values()].map((b) => [b.id, b.title?.width ?? 0])),
      edges: new Map(edgeIn.map((e) => [edgeKey(e.source, e.target), e.label.width])),
    });
    return placed;
  }

  /** `data-drawn`: every node, edge label and group box drawn, with its box in chart
   *  pixels (centre and size), and how many renders so far: what the browser tests
   *  look for in the SVG. */
  private writeDrawn(): void {
    const d = this.drawn;
    const inst = this.chart.inst;
    if (!d || inst.isDisposed()) return;
    const opt = inst.getOption() as { series: { data: { id: string; x: number; y: number; symbolSize: number | number[] }[] }[] };
    const items = new Map((opt.series[0]?.data ?? []).map((x) => [x.id, x]));
    const px = (id: string) => {
      const it = items.get(id);
      if (!it) return null;
      const [x, y] = inst.convertToPixel({ seriesIndex: 0 }, [it.x, it.y]) as number[];
      const [w, ht] = Array.isArray(it.symbolSize) ? it.symbolSize : [it.symbolSize, it.symbolSize];
      return { x, y, w, h: ht };
    };
    this.chart.el.dataset.drawn = JSON.stringify({
      level: this.level,
      renders: this.renders,
      nodes: d.nodes.map((n) => ({
        id: n.node.id,
        kind: n.kind,
        lines: n.lines,
        group: this.level === "instance" && n.kind === "service" ? (n.node.service ?? n.node.id) : null,
        box: px(n.node.id),
      })),
      edges: d.edges.map((e) => ({ source: e.e.source, target: e.e.target, text: e.text, box: px(e.id) })),
      groups: d.groups.map((g) => ({ service: g.service, box: px(g.id) })),
    });
  }

  private onClick(p: { dataType?: string; data?: { id?: string; service?: string } }): void {
    if (p.dataType !== "node" || !p.data?.id || !this.ctx) return;
    if (p.data.service && p.data.id.startsWith(GROUP)) {
      this.ctx.navigate({ page: "dashboard", service: p.data.service, instance: "", sub: "", extra: {} });
      return;
    }
    const node = this.nodes.find((n) => n.id === p.data!.id);
    if (!node || node.kind !== "service") return;
    const [service, instance] = splitInstance(node, this.ctx.services.map((s) => s.name));
    this.ctx.navigate({ page: "dashboard", service, instance, sub: "", extra: {} });
  }

  dispose(): void {
    this.chart.dispose();
  }
}

/** Ids of what the chart draws besides the API's nodes (boxes, labels, bends). */
const SYNTH = "\u0000";
const GROUP = `${SYNTH}g:`;

/** One edge per caller and callee: the API may send two while the server is still
 *  matching calls to their callee (one as an external call), which would share a label's
 *  place. Figures are recombined by calls. */
function mergeEdges(edges: TopoEdge[]): TopoEdge[] {
  const out = new Map<string, TopoEdge>();
  for (const e of edges) {
    const k = edgeKey(e.source, e.target);
    const m = out.get(k);
    if (!m) {
      out.set(k, { ...e });
      continue;
    }
    const calls = m.calls + e.calls;
    const mean = (a: number | null, b: number | null) => (calls ? ((a ?? 0) * m.calls + (b ?? 0) * e.calls) / calls : a);
    m.avg_ms = mean(m.avg_ms, e.avg_ms);
    m.error_rate = mean(m.error_rate, e.error_rate);
    m.tps += e.tps;
    m.errors += e.errors;
    m.calls = calls;
  }
  return [...out.values()];
}

/** Two nodes showing the same name get their id's start after it. */
function uniqueNames(drawn: Drawn[]): void {
  const count = new Map<string, number>();
  for (const d of drawn) count.set(d.lines[0], (count.get(d.lines[0]) ?? 0) + 1);
  for (const d of drawn) if (count.get(d.lines[0])! > 1 && d.lines[0] !== d.node.id) d.lines[0] += ` (${d.node.id.slice(0, 8)})`;
}

/** Text width in pixels, as ECharts will draw it (canvas metrics, the chart's font). */
type Measure = (text: string, size: number, weight?: string) => number;

function measurer(font: string): Measure {
  const c = document.createElement("canvas").getContext("2d");
  return (text, size, weight = "normal") => {
    if (!c) return text.length * size * 0.6;
    c.font = `${weight} ${size}px ${font}`;
    return c.measureText(text).width;
  };
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

function legend(): HTMLElement {
  const p: Palette = palette();
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
