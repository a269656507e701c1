// The Web view (issue 13, item 2): HTTP endpoints across services (route templates), top
// by total time, calls, p95 or errors; the status classes over time (stacked) with the
// window's exact codes; the slowest endpoints; and, where Kubernetes clusters are
// connected, the Ingress page's routes and controller figures below (the same view, not a
// copy). An optional service filter lives in the URL (`#/web?svc=…&order=…`).

import "./views.css";
import { get } from "../api";
import type { Ok } from "../api/types";
import { Chart, baseOption, palette, timeAxis, valueAxis } from "../charts";
import { emptyState, errorBox, h, html, nothing, Panel, view } from "../dom";
import { fmtMs, fmtNum, fmtPct } from "../format";
import { t } from "../i18n";
import type { Ctx, PageView } from "../page";
import { onlyPart, pinInto, registerPanelKind, type PanelParams } from "../pin";
import { filterBar, kube, options } from "./kube";
import { createIngress } from "./ingress";
import { table } from "./table";

type Endpoints = Ok<"/api/v1/web/endpoints">;
type Endpoint = Endpoints["endpoints"][number];
type Statuses = Ok<"/api/v1/web/statuses">;

const ORDERS = ["total", "calls", "p95", "errors"] as const;
type Order = (typeof ORDERS)[number];
const CLASSES = ["2xx", "3xx", "4xx", "5xx", "1xx", "other"] as const;
/** Endpoints in the slowest list. */
const SLOWEST = 10;

export const webApi = {
  endpoints: (p: { from: number; to: number; order: Order; service?: string; limit: number }, s?: AbortSignal) =>
    get<Endpoints>("/web/endpoints", p, s),
  statuses: (p: { from: number; to: number; service?: string }, s?: AbortSignal) => get<Statuses>("/web/statuses", p, s),
};

export function createWebView(ctx: Ctx): PageView {
  return new WebView(ctx);
}

/** Pinnable parts: kind `web.<part>` → the panel shown, its title key, default size. */
const PARTS = {
  statuses: ["#web-status-panel", "wv.statuses", 6, 4],
  codes: ["#web-codes-panel", "wv.codes", 6, 4],
  top: ["#web-top-panel", "wv.top", 12, 5],
  slowest: ["#web-slow-panel", "wv.slowest", 12, 5],
} as const;
for (const [part, [selector, label, w, h_]] of Object.entries(PARTS)) {
  registerPanelKind({
    kind: `web.${part}`,
    title: (p: PanelParams) => [t(label), p.svc].filter(Boolean).join(" · "),
    w,
    h: h_,
    create: () => onlyPart(new WebView(), selector),
  });
}

class WebView implements PageView {
  readonly el: HTMLElement;
  private readonly filters = h("div", { class: "filters", id: "web-filters" });
  private readonly topPanel = new Panel(t("wv.top"), { id: "web-top-panel", hint: t("wv.topHint") });
  private readonly statusPanel = new Panel(t("wv.statuses"), { id: "web-status-panel" });
  private readonly codesPanel = new Panel(t("wv.codes"), { id: "web-codes-panel" });
  private readonly slowPanel = new Panel(t("wv.slowest"), { id: "web-slow-panel" });
  private readonly ingressBox = h("div", { id: "web-ingress", hidden: true });
  private readonly chart: Chart;
  private ingress: PageView | null = null;
  private services = new Set<string>();
  /** What a pin pins: the service filter (the top table also its order). */
  private shown: PanelParams = {};

  constructor(ctx?: Ctx) {
    for (const s of ctx?.services ?? []) this.services.add(s.name);
    const box = h("div", { class: "chart-box", id: "web-status-chart" });
    this.statusPanel.body.append(box);
    this.chart = new Chart(box, { renderer: "svg" });
    pinInto(this.topPanel.el, "web.top", () => this.shown);
    pinInto(this.statusPanel.el, "web.statuses", () => ({ svc: this.shown.svc ?? "" }));
    pinInto(this.codesPanel.el, "web.codes", () => ({ svc: this.shown.svc ?? "" }));
    pinInto(this.slowPanel.el, "web.slowest", () => ({ svc: this.shown.svc ?? "" }));
    this.el = h(
      "div",
      { class: "page web-view", id: "page-web" },
      this.filters,
      this.topPanel.el,
      h("div", { class: "row two" }, this.statusPanel.el, this.codesPanel.el),
      this.slowPanel.el,
      this.ingressBox,
    );
  }

  async refresh(ctx: Ctx, signal: AbortSignal): Promise<void> {
    for (const s of ctx.services) this.services.add(s.name);
    const x = ctx.state.extra;
    view(this.filters, filterBar(ctx, "web-filter-form", [{ name: "svc", label: t("wv.service"), options: options(this.services), empty: t("wv.allServices") }]));
    const order: Order = ORDERS.includes(x.order as Order) ? (x.order as Order) : "total";
    const service = x.svc || undefined;
    this.shown = { svc: service ?? "", order: order === "total" ? "" : order };
    const w = ctx.window;
    await Promise.all([
      this.load(this.topPanel, () => webApi.endpoints({ ...w, order, service, limit: 50 }, signal), (b) => this.renderTop(ctx, b, order)),
      this.load(this.slowPanel, () => webApi.endpoints({ ...w, order: "p95", service, limit: SLOWEST }, signal), (b) => this.renderSlow(ctx, b)),
      this.load(this.statusPanel, () => webApi.statuses({ ...w, service }, signal), (b) => this.renderStatuses(ctx, b)),
      this.refreshIngress(ctx, signal),
    ]);
  }

  private async load<B>(panel: Panel, call: () => Promise<B>, render: (b: B) => void): Promise<void> {
    let body: B;
    try {
      body = await call();
    } catch (err) {
      if ((err as Error).name === "AbortError") throw err;
      panel.setStatus(errorBox(err));
      return;
    }
    render(body);
  }

  /** A row; the endpoint the URL names (a search result) is highlighted. */
  private row(ctx: Ctx, e: Endpoint) {
    const chosen = ctx.state.extra.endpoint === e.endpoint && (!ctx.state.extra.svc || ctx.state.extra.svc === e.service);
    return html`<tr class=${chosen ? "selected" : ""} data-service=${e.service} data-endpoint=${e.endpoint} data-calls=${e.calls}
        data-total=${e.total_ms} data-errors=${e.errors} data-p95=${e.p95_ms ?? ""}>
      <td class="endpoint mono">${e.endpoint}</td>
      <td class="service"><a href=${ctx.href({ page: "dashboard", sub: "", service: e.service, instance: "", extra: {} })}>${e.service}</a></td>
      <td class="num calls">${e.calls}</td>
      <td class="num tps">${fmtNum(e.tps, 2)}</td>
      <td class="num total">${fmtMs(e.total_ms)}</td>
      <td class="num avg">${fmtMs(e.avg_ms)}</td>
      <td class="num p95">${fmtMs(e.p95_ms)}</td>
      <td class="num errors ${e.errors ? "bad-text" : ""}">${e.errors}${e.errors ? html` <span class="muted">(${fmtPct(e.error_rate)})</span>` : nothing}</td>
      <td class="num s4xx">${e.status_4xx}</td>
      <td class="num s5xx">${e.status_5xx}</td>
    </tr>`;
  }

  private head(): string[] {
    return [t("wv.endpoint"), t("wv.service"), t("wv.calls"), t("wv.tps"), t("wv.total"), t("wv.avg"), t("wv.p95"), t("wv.errors"), "4xx", "5xx"];
  }

  private renderTop(ctx: Ctx, body: Endpoints, order: Order): void {
    const switcher = html`<div class="ranges" role="group" id="web-order" aria-label=${t("wv.order")}>
      ${ORDERS.map((o) => html`<button class="btn seg ${o === order ? "on" : ""}" data-order=${o}
        @click=${() => ctx.navigate({ extra: { ...ctx.state.extra, order: o } })}>${t(`wv.order.${o}`)}</button>`)}
    </div>`;
    if (!body.endpoints.length) {
      view(this.topPanel.body, nothing);
      this.topPanel.setStatus(emptyState(t("wv.none"), t("wv.noneBody")));
      return;
    }
    view(
      this.topPanel.body,
      html`${switcher}${table({ id: "web-table", head: this.head(), rows: body.endpoints, key: (e) => `${e.service} ${e.endpoint}`, row: (e) => this.row(ctx, e) })}`,
    );
    this.topPanel.setStatus(null);
  }

  private renderSlow(ctx: Ctx, body: Endpoints): void {
    if (!body.endpoints.length) {
      view(this.slowPanel.body, nothing);
      this.slowPanel.setStatus(emptyState(t("wv.none")));
      return;
    }
    view(this.slowPanel.body, table({ id: "web-slow-table", head: this.head(), rows: body.endpoints, key: (e) => `${e.service} ${e.endpoint}`, row: (e) => this.row(ctx, e) }));
    this.slowPanel.setStatus(null);
  }

  private renderStatuses(ctx: Ctx, body: Statuses): void {
    const p = palette();
    const colour: Record<string, string> = { "1xx": p.series[5], "2xx": p.good, "3xx": p.series[0], "4xx": p.warn, "5xx": p.bad, other: p.muted };
    const shown = CLASSES.filter((c) => (body.classes[c] ?? 0) > 0);
    this.chart.el.dataset.total = String(body.total);
    this.chart.el.dataset.classes = JSON.stringify(body.classes);
    this.chart.set(
      {
        ...baseOption(),
        xAxis: timeAxis(ctx.window),
        yAxis: valueAxis(),
        series: shown.map((c) => ({
          type: "bar",
          stack: "status",
          name: c,
          barMaxWidth: 18,
          itemStyle: { color: colour[c] },
          data: body.points.map((x) => [x.ts, x.classes[c] ?? 0]),
        })),
      },
      body.points.length,
      true,
    );
    this.statusPanel.setStatus(body.total ? null : emptyState(t("wv.none")), body.total > 0);
    const codes = Object.entries(body.codes).sort((a, b) => b[1] - a[1]);
    view(
      this.codesPanel.body,
      codes.length
        ? table({
            id: "web-codes-table",
            head: [t("wv.code"), t("wv.calls"), t("wv.share")],
            rows: codes,
            key: ([c]) => c,
            row: ([c, n]) => html`<tr data-code=${c} data-count=${n}>
              <td class="code ${c.startsWith("5") ? "bad-text" : c.startsWith("4") ? "warn-text" : ""}">${c === "none" ? t("wv.noCode") : c}</td>
              <td class="num count">${n}</td>
              <td class="num">${fmtPct(body.total ? n / body.total : null)}</td>
            </tr>`,
          })
        : nothing,
    );
    this.codesPanel.setStatus(codes.length ? null : emptyState(t("wv.none")));
  }

  /** The Ingress page's view, once a cluster is connected. */
  private async refreshIngress(ctx: Ctx, signal: AbortSignal): Promise<void> {
    if (!this.ingress) {
      let clusters: number;
      try {
        clusters = (await kube.clusters(signal)).clusters.length;
      } catch (err) {
        if ((err as Error).name === "AbortError") throw err;
        return; // no Kubernetes here: the section stays hidden
      }
      if (!clusters) return;
      this.ingress = createIngress();
      this.ingressBox.replaceChildren(h("h2", { class: "section-title" }, t("wv.ingress")), this.ingress.el);
      this.ingressBox.hidden = false;
    }
    await this.ingress.refresh(ctx, signal);
  }

  dispose(): void {
    this.chart.dispose();
    this.ingress?.dispose();
  }
}
