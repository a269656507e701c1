// My dashboard: the caller's pinned panels (pin.ts) on a 12-column grid, each drawn by its
// page's own code with its own service and instance, all following the top bar's time
// range. Drag a panel's title bar to move it and its corner to resize it; the buttons of
// its tool strip do the same from the keyboard. Every change saves the whole layout
// (PUT /api/v1/dashboards/mine/layout); a panel moved onto others pushes them down first,
// so what is saved never overlaps. With no panels, a console opened without a page goes on
// to the service dashboard.

import { ApiError, send } from "../api";
import type * as T from "../api/types";
import { emptyState, errorBox, h } from "../dom";
import { t, tf, type Key } from "../i18n";
import type { Ctx, PageView } from "../page";
import {
  GRID_COLUMNS,
  panelCtx,
  panelKind,
  panelsChanged,
  myPanels,
  ROW_PX,
  takeBareLanding,
  unpinPanel,
  type PinnedPanel,
} from "../pin";
import "./my_dashboard.css";

const GAP_PX = 12;
const MAX_ROWS = 200;

export function createMyDashboard(): PageView {
  return new MyDashboard();
}

interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

class Cell {
  readonly el: HTMLElement;
  readonly body = h("div", { class: "my-body" });
  view: PageView | null = null;
  route: string;

  constructor(
    public panel: PinnedPanel,
    page: MyDashboard,
  ) {
    this.route = panel.kind.split(".", 1)[0];
    const tool = (key: Key, text: string, act: string) =>
      h("button", { class: "btn small my-tool", type: "button", "data-act": act, title: t(key), "aria-label": t(key), onclick: () => page.act(this, act) }, text);
    const handle = h("span", { class: "my-title", title: t("my.drag") }, panel.title);
    handle.addEventListener("pointerdown", (ev) => page.drag(this, ev, "move"));
    const corner = h("span", { class: "my-resize", title: t("my.resize"), "aria-hidden": "true" });
    corner.addEventListener("pointerdown", (ev) => page.drag(this, ev, "resize"));
    this.open = h("a", { class: "my-open", title: t("my.open"), "aria-label": t("my.open") }, "↗");
    this.el = h(
      "section",
      { class: "my-cell", "data-panel-id": String(panel.id), "data-kind": panel.kind },
      h(
        "header",
        { class: "my-head" },
        handle,
        h(
          "span",
          { class: "my-tools" },
          tool("my.left", "←", "left"),
          tool("my.right", "→", "right"),
          tool("my.up", "↑", "up"),
          tool("my.down", "↓", "down"),
          tool("my.narrower", "−", "narrower"),
          tool("my.wider", "+", "wider"),
          tool("my.shorter", "⇡", "shorter"),
          tool("my.taller", "⇣", "taller"),
          this.open,
          tool("my.remove", "✕", "remove"),
        ),
      ),
      this.body,
      corner,
    );
    this.place(panel);
  }

  private readonly open: HTMLElement;

  /** Where it is drawn now (ahead of `panel`, the saved place, while a save is on its way). */
  box: Box = { x: 0, y: 0, w: 1, h: 1 };

  place(b: Box): void {
    this.box = pick(b);
    this.el.style.gridColumn = `${b.x + 1} / span ${b.w}`;
    this.el.style.gridRow = `${b.y + 1} / span ${b.h}`;
    Object.assign(this.el.dataset, { x: String(b.x), y: String(b.y), w: String(b.w), h: String(b.h) });
  }

  async build(): Promise<void> {
    const kind = await panelKind(this.panel.kind);
    if (!kind) {
      this.body.replaceChildren(emptyState(tf("my.unknownKind", { kind: this.panel.kind })));
      return;
    }
    this.view = kind.create(this.panel.params);
    this.body.replaceChildren(this.view.el);
  }

  async refresh(ctx: Ctx, signal: AbortSignal): Promise<void> {
    if (!this.view) return;
    const own = panelCtx(ctx, this.panel.params, this.route);
    this.open.setAttribute("href", own.href({}));
    try {
      await this.view.refresh(own, signal);
    } catch (err) {
      if ((err as Error).name !== "AbortError") this.body.replaceChildren(errorBox(err));
    }
  }

  dispose(): void {
    this.view?.dispose();
  }
}

class MyDashboard implements PageView {
  readonly el: HTMLElement;
  private readonly grid = h("div", { class: "my-grid", id: "my-grid" });
  private readonly status = h("div", { class: "my-status", role: "status" });
  private cells: Cell[] = [];
  private loaded = false;

  constructor() {
    this.grid.style.gridAutoRows = `${ROW_PX}px`;
    this.grid.style.gap = `${GAP_PX}px`;
    this.el = h("div", { class: "page my-dashboard", id: "page-my-dashboard" }, this.status, this.grid);
  }

  async refresh(ctx: Ctx, signal: AbortSignal): Promise<void> {
    if (!this.loaded) {
      const bare = takeBareLanding();
      const panels = await myPanels(true);
      if (!panels.length && bare) {
        ctx.navigate({ page: "dashboard" }, { replace: true });
        return;
      }
      this.loaded = true;
      this.cells = panels.map((p) => new Cell(p, this));
      this.grid.replaceChildren(...this.cells.map((c) => c.el));
      this.showEmpty();
      await Promise.all(this.cells.map((c) => c.build()));
    }
    await Promise.all(this.cells.map((c) => c.refresh(ctx, signal)));
  }

  private showEmpty(): void {
    this.el.dataset.panels = String(this.cells.length);
    if (!this.cells.length) this.status.replaceChildren(emptyState(t("my.empty"), t("my.emptyBody")));
  }

  /** A tool strip button: move, resize or remove `cell`. */
  act(cell: Cell, act: string): void {
    const b: Box = { ...cell.box };
    if (act === "remove") {
      void this.remove(cell);
      return;
    }
    if (act === "left") b.x = Math.max(0, b.x - 1);
    if (act === "right") b.x = Math.min(GRID_COLUMNS - b.w, b.x + 1);
    if (act === "up") b.y = Math.max(0, b.y - 1);
    if (act === "down") b.y = Math.min(MAX_ROWS - b.h, b.y + 1);
    if (act === "narrower") b.w = Math.max(1, b.w - 1);
    if (act === "wider" && b.w < GRID_COLUMNS) {
      b.w += 1;
      b.x = Math.min(b.x, GRID_COLUMNS - b.w);
    }
    if (act === "shorter") b.h = Math.max(1, b.h - 1);
    if (act === "taller") b.h = Math.min(12, b.h + 1);
    void this.commit(cell, b);
  }

  /** Follow the pointer from a title bar (move) or a corner (resize), then save. */
  drag(cell: Cell, down: PointerEvent, mode: "move" | "resize"): void {
    if (down.button !== 0) return;
    down.preventDefault();
    const start: Box = { ...cell.box };
    const colW = (this.grid.clientWidth + GAP_PX) / GRID_COLUMNS;
    const rowH = ROW_PX + GAP_PX;
    let box = start;
    const move = (ev: PointerEvent) => {
      const dx = Math.round((ev.clientX - down.clientX) / colW);
      const dy = Math.round((ev.clientY - down.clientY) / rowH);
      box =
        mode === "move"
          ? { ...start, x: clamp(start.x + dx, 0, GRID_COLUMNS - start.w), y: clamp(start.y + dy, 0, MAX_ROWS - start.h) }
          : { ...start, w: clamp(start.w + dx, 1, GRID_COLUMNS - start.x), h: clamp(start.h + dy, 1, 12) };
      cell.place(box);
    };
    const up = () => {
      window.removeEventListener("pointermove", move);
      window.removeEventListener("pointerup", up);
      cell.el.classList.remove("dragging");
      void this.commit(cell, box);
    };
    cell.el.classList.add("dragging");
    window.addEventListener("pointermove", move);
    window.addEventListener("pointerup", up);
  }

  /** Put `cell` at `b`, push the panels it now covers down, and save the whole layout. */
  private async commit(cell: Cell, b: Box): Promise<void> {
    const boxes = new Map<Cell, Box>(this.cells.map((c) => [c, c === cell ? b : { ...c.box }]));
    const placed: Box[] = [b];
    const others = this.cells.filter((c) => c !== cell).sort((p, q) => p.box.y - q.box.y || p.box.x - q.box.x);
    for (const c of others) {
      const box = boxes.get(c)!;
      for (let hit = placed.find((p) => overlaps(p, box)); hit; hit = placed.find((p) => overlaps(p, box))) box.y = hit.y + hit.h;
      placed.push(box);
    }
    const order = [...this.cells].sort((p, q) => {
      const a = boxes.get(p)!;
      const c = boxes.get(q)!;
      return a.y - c.y || a.x - c.x;
    });
    for (const c of this.cells) c.place(boxes.get(c)!);
    this.cells = order;
    const body = { panels: order.map((c) => ({ id: c.panel.id, ...pick(boxes.get(c)!) })) };
    // One save at a time, in the order made: a quick second move waits for the first.
    const saving = this.saving.then(() => this.save(body));
    this.saving = saving.catch(() => {});
    await saving;
  }

  private saving: Promise<void> = Promise.resolve();

  private async save(body: { panels: (Box & { id: number })[] }): Promise<void> {
    try {
      const resp = await send<T.components["schemas"]["Panels"]>("PUT", "/dashboards/mine/layout", body);
      const byId = new Map((resp?.panels ?? []).map((p) => [p.id, p]));
      for (const c of this.cells) c.panel = byId.get(c.panel.id) ?? c.panel;
      this.status.replaceChildren();
      this.el.dataset.saved = String(Date.now());
    } catch (err) {
      for (const c of this.cells) c.place(c.panel);
      this.status.replaceChildren(errorBox(new Error(tf("my.saveFailed", { detail: err instanceof ApiError ? err.detail : String(err) }))));
    }
    panelsChanged();
  }

  private async remove(cell: Cell): Promise<void> {
    try {
      await unpinPanel(cell.panel.id);
    } catch (err) {
      this.status.replaceChildren(errorBox(err));
      return;
    }
    cell.dispose();
    cell.el.remove();
    this.cells = this.cells.filter((c) => c !== cell);
    this.showEmpty();
  }

  dispose(): void {
    for (const c of this.cells) c.dispose();
  }
}

function overlaps(a: Box, b: Box): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

function pick(b: Box): Box {
  return { x: b.x, y: b.y, w: b.w, h: b.h };
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, v));
}
