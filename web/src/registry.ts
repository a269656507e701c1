// Every page of the console, in menu order. A new page is its module in `pages/` and
// one line here (plus its labels in `strings/`): the shell builds the menu, the route,
// the top bar and the lazy chunk from this table. See docs/web.md, "Adding a page".

import type { Key } from "./i18n";
import type { PageFactory } from "./page";

/** Top-bar controls a page can ask for; language and theme are always there. */
export type Control = "service" | "instance" | "range";

/** Menu sections, in this order; each heading is `nav.group.<id>`. */
export const GROUPS = ["overview", "requests", "infrastructure"] as const;
export type MenuGroup = (typeof GROUPS)[number];

export interface PageEntry {
  /** The URL path: `#/<route>[/<sub>]?…`; also the menu link's `data-page`. */
  readonly route: string;
  readonly group: MenuGroup;
  /** One character shown before the label. */
  readonly icon: string;
  readonly label: Key;
  readonly controls: readonly Control[];
  /** The page's code: a dynamic import, so it (and ECharts) loads with the page. */
  readonly load: () => Promise<PageFactory>;
}

const ALL: readonly Control[] = ["service", "instance", "range"];

export const REGISTRY = [
  { route: "dashboard", group: "overview", icon: "▦", label: "nav.dashboard", controls: ALL, load: () => import("./pages/dashboard").then((m) => m.createDashboard) },
  { route: "topology", group: "overview", icon: "⬡", label: "nav.topology", controls: ALL, load: () => import("./pages/topology").then((m) => m.createTopology) },
  { route: "transactions", group: "requests", icon: "⇄", label: "nav.transactions", controls: ALL, load: () => import("./pages/transactions").then((m) => m.createTransactions) },
  { route: "traces", group: "requests", icon: "≡", label: "nav.traces", controls: ALL, load: () => import("./pages/traces").then((m) => m.createTraces) },
  { route: "instances", group: "infrastructure", icon: "▤", label: "nav.instances", controls: ALL, load: () => import("./pages/instances").then((m) => m.createInstances) },
] as const satisfies readonly PageEntry[];

export type Page = (typeof REGISTRY)[number]["route"];

/** Routes in menu order; the first one is the default page. */
export const ROUTES: Page[] = REGISTRY.map((p) => p.route);

export function pageEntry(route: Page): PageEntry {
  return REGISTRY.find((p) => p.route === route) ?? REGISTRY[0];
}
