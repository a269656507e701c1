// Pinning any chart or tile of the console to "My dashboard" (pages/my_dashboard.ts), and
// the registry of the panel kinds that page draws.
//
// A panel kind is `<route>.<name>` (`dashboard.tps`, `topology.map`, `hosts.cpu`): the
// page module of `<route>` registers it when it loads, so My dashboard loads that page's
// chunk (its registry entry's `load()`) to draw a panel of the kind, with the page's own
// chart code: a pinned TPS chart is the same chart.
//
// Usage, in a page module (`pages/hosts.ts`, route `hosts`):
//
//   import { pinButton, registerPanelKind } from "../pin";
//
//   // 1. Once, at module level: how the kind is drawn on My dashboard. `create(params)`
//   //    returns a PageView ({ el, refresh(ctx, signal), dispose() }). Its refresh gets
//   //    the shell's ctx with the panel's own `params.service` / `params.instance` as
//   //    ctx.state.service / instance (empty when absent), every param in ctx.state.extra,
//   //    and the shell's window (the top bar's time range). `w` / `h`: the default size in
//   //    grid units (12 columns; a row is ROW_PX high). The view's root should fill its
//   //    box (charts: a `.chart-box` grows to the panel's height there).
//   registerPanelKind({
//     kind: "hosts.cpu",
//     title: (params) => `${t("hosts.cpu")} · ${params.host}`,
//     w: 6, h: 4,
//     create: (params) => new CpuChart(params.host),
//   });
//
//   // 2. On the page: the pin control, in a Panel's header (or a tile's corner). `params`
//   //    is read when clicked: what the panel shows now (service, instance, host, …;
//   //    strings only, at most 16, 256 characters each).
//   pinInto(panel.el, "hosts.cpu", () => ({ host: this.host }));
//
// A page whose parts are not separate classes can register a kind that builds the whole
// page and shows one part of it: `create: (params) => onlyPart(createUsers(), "#users-daily-panel")`.
//
// The control is a pin icon (`.pin-btn`). A pressed pin (aria-pressed="true") is already on My dashboard with the same params;
// pressing it again unpins it. The time range is never a param: panels follow the shell's.

import { ApiError, get, post, send } from "./api";
import type * as T from "./api/types";
import { h } from "./dom";
import { t, tf } from "./i18n";
import type { Ctx, PageView } from "./page";
import { REGISTRY, type PageEntry } from "./registry";
import "./pin.css";

export type PanelParams = Record<string, string>;
export type PinnedPanel = T.components["schemas"]["PanelOut"];

/** Height of one grid row on My dashboard, px; a grid has GRID_COLUMNS columns. */
export const ROW_PX = 80;
export const GRID_COLUMNS = 12;

export interface PanelKind {
  /** `<route>.<name>`; the route's page module registers it. */
  readonly kind: string;
  /** The title given when pinned (the user may rename it). */
  title(params: PanelParams): string;
  /** Default size, grid units. */
  readonly w: number;
  readonly h: number;
  create(params: PanelParams): PageView;
}

const kinds = new Map<string, PanelKind>();

export function registerPanelKind(kind: PanelKind): void {
  kinds.set(kind.kind, kind);
}

/** The kind, its page's chunk loaded first; undefined for a kind no page registers. */
export async function panelKind(kind: string): Promise<PanelKind | undefined> {
  if (!kinds.has(kind)) {
    const route = kind.split(".", 1)[0];
    const entry = (REGISTRY as readonly PageEntry[]).find((p) => p.route === route);
    if (entry) await entry.load();
  }
  return kinds.get(kind);
}

/** The ctx a panel refreshes with: the shell's window, the panel's own service/instance. */
export function panelCtx(ctx: Ctx, params: PanelParams, route: string): Ctx {
  const state = { ...ctx.state, service: params.service ?? "", instance: params.instance ?? "", extra: { ...params } };
  delete state.extra.service;
  delete state.extra.instance;
  return {
    ...ctx,
    state,
    instances: params.instance ? [params.instance] : [],
    instanceNames: {},
    instanceName: (id) => id,
    // A click in a pinned panel that would move its page opens the page itself.
    navigate: (patch, opts) => ctx.navigate({ ...state, page: route as Ctx["state"]["page"], ...patch }, opts),
    setExtra: () => {},
    href: (patch) => ctx.href({ ...state, page: route as Ctx["state"]["page"], ...patch }),
  };
}

/** `view` (a whole page) showing only its element at `selector`: everything beside it and
 *  beside each of its ancestors is hidden, the page's code runs unchanged. */
export function onlyPart(view: PageView, selector: string): PageView {
  const target = view.el.querySelector<HTMLElement>(selector);
  for (let el = target; el && el !== view.el && el.parentElement; el = el.parentElement) {
    for (const sib of Array.from(el.parentElement.children)) if (sib !== el) (sib as HTMLElement).style.display = "none";
  }
  view.el.classList.add("page-part");
  return view;
}

// ---- the caller's panels, shared by every pin control of the page ----

let mine: Promise<PinnedPanel[]> | null = null;

export function myPanels(refresh = false): Promise<PinnedPanel[]> {
  if (refresh || !mine) {
    mine = get<T.components["schemas"]["Panels"]>("/dashboards/mine").then((r) => r.panels);
    mine.catch(() => {
      mine = null;
    });
  }
  return mine;
}

/** Forget the cached list (My dashboard calls it after its own changes). */
export function panelsChanged(): void {
  mine = null;
}

export async function pinPanel(kind: string, params: PanelParams, title?: string): Promise<PinnedPanel> {
  const k = await panelKind(kind);
  const made = await post<PinnedPanel>("/dashboards/mine/panels", {
    kind,
    title: (title ?? k?.title(params) ?? kind).slice(0, 200),
    params,
    w: k?.w ?? 4,
    h: k?.h ?? 3,
  });
  mine = null;
  return made;
}

export async function unpinPanel(id: number): Promise<void> {
  await send("DELETE", `/dashboards/mine/panels/${id}`);
  mine = null;
}

function same(a: PanelParams, b: PanelParams): boolean {
  const ka = Object.keys(a).filter((k) => a[k] !== "");
  const kb = Object.keys(b).filter((k) => b[k] !== "");
  return ka.length === kb.length && ka.every((k) => a[k] === b[k]);
}

function clean(params: PanelParams): PanelParams {
  return Object.fromEntries(Object.entries(params).filter(([, v]) => v !== "" && v !== undefined));
}

const PIN_ICON =
  '<svg viewBox="0 0 16 16" width="13" height="13" aria-hidden="true"><path fill="currentColor" d="M9.8 1.2a.7.7 0 0 1 1 0l4 4a.7.7 0 0 1 0 1l-1.1 1.1a.7.7 0 0 1-.8.1l-2.3 2.3.3 2.6a.7.7 0 0 1-.2.6l-.8.8a.7.7 0 0 1-1 0L6.5 11.3 2.6 15.2H1.2v-.4l3.9-4.1L2.7 8.3a.7.7 0 0 1 0-1l.8-.8a.7.7 0 0 1 .6-.2l2.6.3 2.3-2.3a.7.7 0 0 1 .1-.8z"/></svg>';

/** A pin control for `kind`; `params()` is read when it is pressed. */
export function pinButton(kind: string, params: () => PanelParams): HTMLButtonElement {
  const btn = h("button", { class: "pin-btn", type: "button", "data-kind": kind, "aria-pressed": "false" }) as HTMLButtonElement;
  // An SVG, not the 📌 emoji: machines without an emoji font draw that as a box.
  btn.innerHTML = PIN_ICON;
  btn.title = t("pin.pin");
  btn.setAttribute("aria-label", t("pin.pin"));
  const show = (pinned: PinnedPanel | undefined) => {
    btn.setAttribute("aria-pressed", pinned ? "true" : "false");
    btn.dataset.panelId = pinned ? String(pinned.id) : "";
    btn.title = pinned ? t("pin.unpin") : t("pin.pin");
    btn.setAttribute("aria-label", btn.title);
  };
  const find = async () => (await myPanels()).find((p) => p.kind === kind && same(p.params, clean(params())));
  // Shown pressed when already pinned (checked when the pointer or focus comes near: the
  // params may have changed since the page was built).
  const sync = () => void find().then(show, () => {});
  btn.addEventListener("pointerenter", sync);
  btn.addEventListener("focus", sync);
  queueMicrotask(sync);
  btn.addEventListener("click", async (ev) => {
    ev.stopPropagation();
    btn.disabled = true;
    delete btn.dataset.state;
    try {
      const pinned = await find();
      if (pinned) {
        await unpinPanel(pinned.id);
        show(undefined);
      } else {
        show(await pinPanel(kind, clean(params())));
      }
      btn.dataset.state = "done";
    } catch (err) {
      btn.dataset.state = "error";
      btn.title = tf("pin.failed", { detail: err instanceof ApiError ? err.detail : String(err) });
    } finally {
      btn.disabled = false;
    }
  });
  return btn;
}

/** Put a pin control in `target`: a Panel's `<header>`, else the element itself (a tile). */
export function pinInto(target: HTMLElement, kind: string, params: () => PanelParams): HTMLButtonElement {
  const btn = pinButton(kind, params);
  const header = target.matches("section.panel") ? target.querySelector(":scope > header") : null;
  (header ?? target).append(btn);
  target.classList.add("pinnable");
  return btn;
}

// ---- where the console opens ----

let bare: boolean | null = null;

/** main.ts calls this before routing: whether the console was opened without a page. */
export function noteLanding(hash: string): void {
  bare = !hash.replace(/^#\/?/, "").split("?", 1)[0];
}

/** True once, when the console was opened without a page (My dashboard then opens on the
 *  service dashboard while it has no panels). */
export function takeBareLanding(): boolean {
  const was = bare === true;
  bare = false;
  return was;
}
