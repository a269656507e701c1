// The topology map's geometry, in pixels; pure (no DOM): the page measures text and
// draws what this returns.
//
// dagre (a layered Sugiyama layout, left to right) places *blocks*: one node, or a
// service's instances stacked in a titled box. Columns follow the call graph (callers
// left of callees, databases and external hosts in the last column). Every edge label
// is a dagre dummy node of its measured size, so labels get their own space: no block or
// label overlaps another. Edges are routed through dagre's dummy points, running
// horizontally across each column and turning only in the gaps between columns, so a
// line never crosses a node or a label. Given the previous layout, blocks that stay in
// their column keep their top-to-bottom order there (dagre order constraints), so a new
// node moves the others no more than it must.
//
// Example::
//
//     const placed = layoutTopology(
//       [{ id: "web", members: [{ id: "web", width: 46, height: 66, anchorY: 23 }] },
//        { id: "db", sink: true, members: [{ id: "db", width: 40, height: 60, anchorY: 20 }] }],
//       [{ source: "web", target: "db", label: { width: 80, height: 16 } }],
//     );
//     placed.anchors.get("db")!.x > placed.anchors.get("web")!.x; // true

import dagre from "@dagrejs/dagre";

export interface Size {
  width: number;
  height: number;
}

export interface Point {
  x: number;
  y: number;
}

/** A centre and a size. */
export interface Box extends Point, Size {}

/** What is drawn for one node: its symbol with its label under it. */
export interface MemberIn extends Size {
  id: string;
  /** The symbol's centre, down from the top of the member's box. */
  anchorY: number;
}

export interface BlockIn {
  id: string;
  /** Stacked top to bottom in this order. */
  members: MemberIn[];
  /** A box with this title drawn around the members (a service at instance level). */
  title?: Size;
  /** Databases and external hosts: the right-most column. */
  sink?: boolean;
}

export interface EdgeIn {
  /** Member ids. */
  source: string;
  target: string;
  label: Size;
}

export interface EdgeOut {
  source: string;
  target: string;
  label: Box;
  /** From the source's anchor to the target's anchor. */
  route: Point[];
}

export interface Placed {
  /** Member boxes. */
  members: Map<string, Box>;
  /** Symbol centres. */
  anchors: Map<string, Point>;
  /** Titled blocks only: the box drawn around the members. */
  groups: Map<string, Box>;
  titles: Map<string, Box>;
  /** By `edgeKey(source, target)`. */
  edges: Map<string, EdgeOut>;
  /** Each block's column and centre, for the next layout to keep the order. */
  blocks: Map<string, { column: number; y: number }>;
  width: number;
  height: number;
}

export const SPACING = {
  /** Inside a titled box, around the title and the members. */
  pad: 8,
  /** Between stacked members. */
  gap: 10,
  /** Between blocks of one column. */
  nodesep: 22,
  /** Between labels and edge dummies of one column. */
  edgesep: 5,
  /** Between columns; dagre halves it when edges have labels (a label column sits
   *  between two node columns), so lines turn in gaps of ranksep / 2. */
  ranksep: 44,
  margin: 4,
};

export function edgeKey(source: string, target: string): string {
  return `${source}\u0000${target}`;
}

/** Place blocks, members, labels and edge routes. Same input (and previous), same output. */
export function layoutTopology(blocks: BlockIn[], edges: EdgeIn[], previous?: Placed): Placed {
  const sp = SPACING;
  const blockOf = new Map<string, string>();
  for (const b of blocks) for (const m of b.members) blockOf.set(m.id, b.id);
  const sorted = [...blocks].sort((a, b) => cmp(a.id, b.id));
  const kept = edges
    .map((e, i) => ({ e, i, v: blockOf.get(e.source), w: blockOf.get(e.target) }))
    .filter((x): x is { e: EdgeIn; i: number; v: string; w: string } => x.v !== undefined && x.w !== undefined);
  const column = columns(sorted, kept);

  const g = new dagre.graphlib.Graph({ multigraph: true });
  g.setGraph({ rankdir: "LR", nodesep: sp.nodesep, edgesep: sp.edgesep, ranksep: sp.ranksep, marginx: sp.margin, marginy: sp.margin });
  g.setDefaultEdgeLabel(() => ({}));
  for (const b of sorted) g.setNode(b.id, blockSize(b));
  // Inserted in a fixed order: dagre breaks ties by insertion order.
  const order = [...kept].sort((a, b) => cmp(a.e.source, b.e.source) || cmp(a.e.target, b.e.target) || a.i - b.i);
  for (const { e, i, v, w } of order) {
    const minlen = Math.max(1, (column.get(w) ?? 0) - (column.get(v) ?? 0));
    g.setEdge(v, w, { width: e.label.width, height: e.label.height, labelpos: "c", minlen }, String(i));
  }
  dagre.layout(g, { constraints: keptOrder(column, previous) });

  const members = new Map<string, Box>();
  const anchors = new Map<string, Point>();
  const groups = new Map<string, Box>();
  const titles = new Map<string, Box>();
  const half = new Map<number, number>(); // column centre x → half its width
  const widen = (b: Box) => {
    const k = Math.round(b.x);
    half.set(k, Math.max(half.get(k) ?? 0, b.width / 2));
  };
  for (const b of sorted) {
    const n = g.node(b.id) as Box;
    widen(n);
    let top = n.y - n.height / 2;
    if (b.title) {
      groups.set(b.id, { x: n.x, y: n.y, width: n.width, height: n.height });
      titles.set(b.id, { x: n.x, y: top + sp.pad + b.title.height / 2, ...b.title });
      top += sp.pad + b.title.height + sp.gap / 2;
    }
    for (const m of b.members) {
      members.set(m.id, { x: n.x, y: top + m.height / 2, width: m.width, height: m.height });
      anchors.set(m.id, { x: n.x, y: top + m.anchorY });
      top += m.height + sp.gap;
    }
  }
  const out = new Map<string, EdgeOut>();
  for (const { e, i, v, w } of kept) {
    const d = g.edge({ v, w, name: String(i) }) as { x: number; y: number; points: Point[] };
    const label = { x: d.x, y: d.y, ...e.label };
    widen(label);
    out.set(edgeKey(e.source, e.target), { source: e.source, target: e.target, label, route: d.points.slice(1, -1) });
  }
  const halfAt = (x: number) => half.get(Math.round(x)) ?? 0;
  for (const r of out.values()) {
    const a = anchors.get(r.source)!;
    const b = anchors.get(r.target)!;
    r.route = r.source === r.target || blockOf.get(r.source) === blockOf.get(r.target)
      ? [a, ...r.route, b]
      : route(a, b, r.route, halfAt);
  }
  const placedBlocks = new Map(sorted.map((b) => [b.id, { column: column.get(b.id) ?? 0, y: (g.node(b.id) as Box).y }]));
  const graph = g.graph() as { width: number; height: number };
  return { members, anchors, groups, titles, edges: out, blocks: placedBlocks, width: graph.width, height: graph.height };
}

/** Blocks in the same column as before stay in the same order, top to bottom. */
function keptOrder(column: Map<string, number>, previous?: Placed): { left: string; right: string }[] {
  if (!previous) return [];
  const byColumn = new Map<number, { id: string; y: number }[]>();
  for (const [id, b] of previous.blocks)
    if (column.get(id) === b.column) byColumn.set(b.column, [...(byColumn.get(b.column) ?? []), { id, y: b.y }]);
  const out: { left: string; right: string }[] = [];
  for (const list of byColumn.values()) {
    list.sort((a, b) => a.y - b.y || cmp(a.id, b.id));
    for (let i = 1; i < list.length; i++) out.push({ left: list[i - 1].id, right: list[i].id });
  }
  return out;
}

/** Out of the source's column horizontally, across every column the edge passes
 *  horizontally (through its label, which hides the line), turning only between columns. */
function route(a: Point, b: Point, inner: Point[], halfAt: (x: number) => number): Point[] {
  const dir = b.x >= a.x ? 1 : -1;
  const pts: Point[] = [a, { x: a.x + dir * halfAt(a.x), y: a.y }];
  for (const p of inner) {
    const h = halfAt(p.x);
    pts.push({ x: p.x - dir * h, y: p.y }, { x: p.x + dir * h, y: p.y });
  }
  pts.push({ x: b.x - dir * halfAt(b.x), y: b.y }, b);
  return pts.filter((p, i) => i === 0 || Math.abs(p.x - pts[i - 1].x) > 0.5 || Math.abs(p.y - pts[i - 1].y) > 0.5);
}

function blockSize(b: BlockIn): Size {
  const sp = SPACING;
  const inner = Math.max(0, ...b.members.map((m) => m.width));
  const stack = b.members.reduce((s, m) => s + m.height, 0) + sp.gap * Math.max(0, b.members.length - 1);
  if (!b.title) return { width: inner, height: stack };
  return {
    width: Math.max(inner, b.title.width) + 2 * sp.pad,
    height: sp.pad + b.title.height + sp.gap / 2 + stack + sp.pad,
  };
}

/** Column of each block: longest call path from a caller (bounded, so a cycle cannot
 *  loop), databases and external hosts one past the deepest service. */
function columns(blocks: BlockIn[], edges: { v: string; w: string }[]): Map<string, number> {
  const depth = new Map<string, number>(blocks.map((b) => [b.id, 0]));
  const sink = new Set(blocks.filter((b) => b.sink).map((b) => b.id));
  const calls = edges.filter((e) => e.v !== e.w && !sink.has(e.v) && !sink.has(e.w));
  for (let pass = 0; pass < blocks.length; pass++) {
    let changed = false;
    for (const e of calls) {
      const d = depth.get(e.v)! + 1;
      if (d > depth.get(e.w)! && d < blocks.length) {
        depth.set(e.w, d);
        changed = true;
      }
    }
    if (!changed) break;
  }
  const last = Math.max(0, ...blocks.filter((b) => !sink.has(b.id)).map((b) => depth.get(b.id)! + 1));
  for (const id of sink) depth.set(id, last);
  return depth;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
