// Every page of the console, in menu order. A new page is its module in `pages/` (with
// its labels beside it in `strings/`, its menu label `nav.<route>` among them) and one
// line here: the shell builds the menu, the route, the top bar, the label tables and the
// lazy chunk from this table. See docs/web.md, "Adding a page".

import type { PageFactory } from "./page";
import * as dashboardStrings from "./strings/dashboard";
import * as topologyStrings from "./strings/topology";
import * as transactionsStrings from "./strings/transactions";
import * as tracesStrings from "./strings/traces";
import * as instancesStrings from "./strings/instances";
import * as eventsStrings from "./strings/events";
import * as containersStrings from "./strings/containers";
import * as clustersStrings from "./strings/clusters";
import * as ingressStrings from "./strings/ingress";
import * as meteringStrings from "./strings/metering";
import * as alertsStrings from "./strings/alerts";
import * as rulesStrings from "./strings/rules";
import * as channelsStrings from "./strings/channels";
import * as diagnosticsStrings from "./strings/diagnostics";
import * as trendStrings from "./strings/trend";
import * as supportStrings from "./strings/support";
import * as slaStrings from "./strings/sla";
import * as checksStrings from "./strings/checks";
import * as reportsStrings from "./strings/reports";
import * as usersStrings from "./strings/users";
import * as accountsStrings from "./strings/accounts";
import * as orgStrings from "./strings/org";
import * as myDashboardStrings from "./strings/my_dashboard";
import * as viewsStrings from "./strings/views";
import type { Role } from "./access";

/** Top-bar controls a page can ask for; language and theme are always there. */
export type Control = "service" | "instance" | "range";

/** Menu sections, in this order; each heading is `nav.group.<id>`. */
export const GROUPS = ["overview", "requests", "views", "infrastructure", "servicelevel", "diagnostics", "settings"] as const;
export type MenuGroup = (typeof GROUPS)[number];

export interface PageEntry {
  /** The URL path: `#/<route>[/<sub>]?…`; also the menu link's `data-page`. */
  readonly route: string;
  /** Menu section; null: not in the menu (the public pages). */
  readonly group: MenuGroup | null;
  /** Shown outside the shell (no menu, no top bar) and without signing in: sign-in,
   *  sign-up, verification, password reset, invitation. */
  readonly public?: boolean;
  /** Listed in the menu only for this role or above (the page itself still asks the
   *  server, which refuses others). */
  readonly role?: Role;
  /** One character shown before the label. */
  readonly icon: string;
  /** The page's labels (`strings/<page>.ts`, English and Korean); its menu label is
   *  `nav.<route>` in them (a type error in main.ts when missing). */
  readonly strings: { readonly en: Readonly<Record<string, string>>; readonly ko: Readonly<Record<string, string>> };
  readonly controls: readonly Control[];
  /** The page's code: a dynamic import, so it (and ECharts) loads with the page. */
  readonly load: () => Promise<PageFactory>;
}

const ALL: readonly Control[] = ["service", "instance", "range"];

export const REGISTRY = [
  { route: "my-dashboard", group: "overview", icon: "★", strings: myDashboardStrings, controls: ["range"], load: () => import("./pages/my_dashboard").then((m) => m.createMyDashboard) },
  { route: "dashboard", group: "overview", icon: "▦", strings: dashboardStrings, controls: ALL, load: () => import("./pages/dashboard").then((m) => m.createDashboard) },
  { route: "topology", group: "overview", icon: "⬡", strings: topologyStrings, controls: ALL, load: () => import("./pages/topology").then((m) => m.createTopology) },
  { route: "alerts", group: "overview", icon: "!", strings: alertsStrings, controls: [], load: () => import("./pages/alerts").then((m) => m.createAlerts) },
  { route: "rules", group: "overview", icon: "☰", strings: rulesStrings, controls: [], load: () => import("./pages/rules").then((m) => m.createRules) },
  { route: "channels", group: "overview", icon: "✉", strings: channelsStrings, controls: [], load: () => import("./pages/channels").then((m) => m.createChannels) },
  { route: "transactions", group: "requests", icon: "⇄", strings: transactionsStrings, controls: ALL, load: () => import("./pages/transactions").then((m) => m.createTransactions) },
  { route: "traces", group: "requests", icon: "≡", strings: tracesStrings, controls: ALL, load: () => import("./pages/traces").then((m) => m.createTraces) },
  { route: "web", group: "views", icon: "⌘", strings: viewsStrings, controls: ["range"], load: () => import("./pages/web_view").then((m) => m.createWebView) },
  { route: "databases", group: "views", icon: "⛁", strings: viewsStrings, controls: ["range"], load: () => import("./pages/databases").then((m) => m.createDatabases) },
  { route: "hosts", group: "views", icon: "▢", strings: viewsStrings, controls: ["range"], load: () => import("./pages/hosts").then((m) => m.createHosts) },
  { route: "group", group: "views", icon: "⊞", strings: viewsStrings, controls: ["range"], load: () => import("./pages/group").then((m) => m.createGroup) },
  { route: "instances", group: "infrastructure", icon: "▤", strings: instancesStrings, controls: ALL, load: () => import("./pages/instances").then((m) => m.createInstances) },
  { route: "events", group: "infrastructure", icon: "⚑", strings: eventsStrings, controls: ["range"], load: () => import("./pages/events").then((m) => m.createEvents) },
  { route: "containers", group: "infrastructure", icon: "▣", strings: containersStrings, controls: [], load: () => import("./pages/containers").then((m) => m.createContainers) },
  { route: "clusters", group: "infrastructure", icon: "◎", strings: clustersStrings, controls: ["range"], load: () => import("./pages/clusters").then((m) => m.createClusters) },
  { route: "ingress", group: "infrastructure", icon: "⇥", strings: ingressStrings, controls: ["range"], load: () => import("./pages/ingress").then((m) => m.createIngress) },
  { route: "metering", group: "infrastructure", icon: "¤", strings: meteringStrings, controls: [], load: () => import("./pages/metering").then((m) => m.createMetering) },
  { route: "checks", group: "servicelevel", icon: "✓", strings: checksStrings, controls: [], load: () => import("./pages/checks").then((m) => m.createChecks) },
  { route: "sla", group: "servicelevel", icon: "◷", strings: slaStrings, controls: [], load: () => import("./pages/sla").then((m) => m.createSla) },
  { route: "reports", group: "servicelevel", icon: "▥", strings: reportsStrings, controls: [], load: () => import("./pages/reports").then((m) => m.createReports) },
  { route: "users", group: "servicelevel", icon: "☺", strings: usersStrings, controls: ["service", "range"], load: () => import("./pages/users").then((m) => m.createUsers) },
  { route: "captures", group: "diagnostics", icon: "◈", strings: diagnosticsStrings, controls: ALL, load: () => import("./pages/captures").then((m) => m.createCaptures) },
  { route: "threads", group: "diagnostics", icon: "≣", strings: diagnosticsStrings, controls: ["service", "instance"], load: () => import("./pages/thread_dump").then((m) => m.createThreadDumpPage) },
  { route: "memory", group: "diagnostics", icon: "◔", strings: diagnosticsStrings, controls: ["service", "instance"], load: () => import("./pages/memory_compare").then((m) => m.createMemoryCompare) },
  { route: "trend", group: "diagnostics", icon: "↗", strings: trendStrings, controls: ["service", "instance"], load: () => import("./pages/trend").then((m) => m.createTrend) },
  { route: "support", group: "overview", icon: "?", strings: supportStrings, controls: [], load: () => import("./pages/support").then((m) => m.createSupport) },
  { route: "org", group: "settings", icon: "⚙", strings: orgStrings, controls: [], load: () => import("./pages/org").then((m) => m.createOrg) },
  { route: "audit", group: "settings", icon: "⌕", strings: orgStrings, controls: [], role: "admin", load: () => import("./pages/audit").then((m) => m.createAudit) },
  { route: "login", group: null, public: true, icon: "", strings: accountsStrings, controls: [], load: () => import("./pages/login").then((m) => m.createLogin) },
  { route: "signup", group: null, public: true, icon: "", strings: accountsStrings, controls: [], load: () => import("./pages/signup").then((m) => m.createSignup) },
  { route: "verify", group: null, public: true, icon: "", strings: accountsStrings, controls: [], load: () => import("./pages/verify").then((m) => m.createVerify) },
  { route: "forgot", group: null, public: true, icon: "", strings: accountsStrings, controls: [], load: () => import("./pages/forgot").then((m) => m.createForgot) },
  { route: "reset", group: null, public: true, icon: "", strings: accountsStrings, controls: [], load: () => import("./pages/reset").then((m) => m.createReset) },
  { route: "accept", group: null, public: true, icon: "", strings: accountsStrings, controls: [], load: () => import("./pages/accept").then((m) => m.createAccept) },
] as const satisfies readonly PageEntry[];

export type Page = (typeof REGISTRY)[number]["route"];

/** Routes in menu order; the first one is the default page. */
export const ROUTES: Page[] = REGISTRY.map((p) => p.route);

export function pageEntry(route: Page): PageEntry {
  return (REGISTRY as readonly PageEntry[]).find((p) => p.route === route) ?? REGISTRY[0];
}
