// Ingress and routers (issue 8, item 6): every Ingress rule (host + path → backend
// Service, and the Bongsu service behind it) with what the ingress controller measured
// over the time range: requests per second, 4xx and 5xx rates, latency; per cluster.

import type { KubeIngressRoute } from "../api/types";
import { Chart, baseOption, palette, valueAxis } from "../charts";
import { emptyState, errorBox, h, html, nothing, Panel, view } from "../dom";
import { fmtMs, fmtNum, fmtPct } from "../format";
import { t, tf } from "../i18n";
import type { Ctx, PageView } from "../page";
import { onlyPart, pinInto, registerPanelKind, type PanelParams } from "../pin";
import { filterBar, kube, options } from "./kube";
import { markLabels } from "./names";
import { table } from "./table";

/** Routes on the chart at most (the table lists them all). */
const CHART_ROUTES = 15;

registerPanelKind({
  kind: "ingress.chart",
  title: (p) => [t("ig.chart"), p.cluster, p.namespace].filter(Boolean).join(" · "),
  w: 6,
  h: 5,
  create: () => onlyPart(new Ingress(), "#ingress-chart-panel"),
});

export function createIngress(): PageView {
  return new Ingress();
}

class Ingress implements PageView {
  readonly el: HTMLElement;
  private readonly filters = h("div", { class: "filters", id: "ingress-filters" });
  private readonly chartPanel = new Panel(t("ig.chart"), { id: "ingress-chart-panel" });
  private readonly panel = new Panel(t("ig.title"), { id: "ingress-panel", hint: t("ig.hint") });
  private readonly chart: Chart;
  private clusters: string[] = [];
  private namespaces = new Set<string>();
  private loaded = false;
  private shown: PanelParams = {};

  constructor() {
    const box = h("div", { class: "chart-box", id: "ingress-chart" });
    this.chartPanel.body.append(box);
    this.chart = new Chart(box);
    pinInto(this.chartPanel.el, "ingress.chart", () => this.shown);
    this.el = h("div", { class: "page ingress", id: "page-ingress" }, this.filters, this.chartPanel.el, this.panel.el);
  }

  async refresh(ctx: Ctx, signal: AbortSignal): Promise<void> {
    const x = ctx.state.extra;
    this.shown = { cluster: x.cluster ?? "", namespace: x.namespace ?? "" };
    let routes: KubeIngressRoute[];
    try {
      const [body, clusters] = await Promise.all([
        kube.ingresses({ ...ctx.window, cluster: x.cluster, namespace: x.namespace }, signal),
        kube.clusters(signal).catch((err: Error) => {
          if (err.name === "AbortError") throw err;
          return null;
        }),
      ]);
      routes = body.routes;
      if (clusters) this.clusters = clusters.clusters.map((c) => c.name);
    } catch (err) {
      if ((err as Error).name === "AbortError") throw err;
      this.panel.setStatus(errorBox(err), this.loaded);
      return;
    }
    this.loaded = true;
    for (const r of routes) if (r.namespace) this.namespaces.add(r.namespace);
    view(
      this.filters,
      filterBar(ctx, "ingress-filter-form", [
        { name: "cluster", label: t("ig.cluster"), options: options([...this.clusters, ...routes.map((r) => r.cluster)]) },
        { name: "namespace", label: t("ig.namespace"), options: options(this.namespaces) },
      ]),
    );
    // Busiest first; routes without metrics last, by name.
    routes = [...routes].sort((a, b) => (b.requests_per_s ?? -1) - (a.requests_per_s ?? -1) || routeLabel(a).localeCompare(routeLabel(b)));
    this.renderChart(routes);
    this.renderTable(ctx, routes);
  }

  private renderChart(routes: KubeIngressRoute[]): void {
    const p = palette();
    const shown = routes.filter((r) => r.requests_per_s !== null).slice(0, CHART_ROUTES);
    const labels = shown.map((r) => `${r.cluster ?? "?"} · ${routeLabel(r)}`);
    markLabels(this.chart.el, labels);
    this.chart.el.style.height = `${Math.max(160, 40 + shown.length * 22)}px`;
    this.chart.set(
      {
        ...baseOption(),
        legend: { show: false },
        grid: { left: 8, right: 24, top: 8, bottom: 8, containLabel: true },
        yAxis: { type: "category", inverse: true, data: labels, axisLabel: { color: p.muted, interval: 0 }, axisLine: { lineStyle: { color: p.axis } } },
        xAxis: { ...valueAxis(), name: t("ig.rps"), nameTextStyle: { color: p.muted } },
        series: [
          {
            type: "bar",
            name: t("ig.rps"),
            barMaxWidth: 14,
            data: shown.map((r) => ({
              value: Math.round((r.requests_per_s ?? 0) * 100) / 100,
              itemStyle: { color: (r.error_rate_5xx ?? 0) >= 0.05 ? p.bad : (r.error_rate_4xx ?? 0) >= 0.1 ? p.warn : p.series[0] },
            })),
          },
        ],
      },
      shown.length,
      true,
    );
    this.chartPanel.setStatus(shown.length ? null : emptyState(routes.length ? t("ig.noMetrics") : t("ig.none"), routes.length ? undefined : t("ig.noneBody")), shown.length > 0);
  }

  private renderTable(ctx: Ctx, routes: KubeIngressRoute[]): void {
    this.panel.setTitle(`${t("ig.title")} (${routes.length})`);
    if (!routes.length) {
      view(this.panel.body, nothing);
      this.panel.setStatus(emptyState(t("ig.none"), t("ig.noneBody")));
      return;
    }
    // A rate as a fraction of requests, its responses per second on hover.
    const rate = (v: number | null, perS: number | null, bad: number) =>
      html`<span class=${(v ?? 0) >= bad ? "bad-text" : ""} title=${perS === null ? "" : tf("ig.perS", { value: fmtNum(perS, 2) })}
        >${v === null ? "–" : fmtPct(v)}</span>`;
    view(
      this.panel.body,
      table({
        id: "ingress-table",
        head: [t("ig.cluster"), t("ig.ingress"), t("ig.host"), t("ig.path"), t("ig.backend"), t("ig.service"), t("ig.rps"), t("ig.4xx"), t("ig.5xx"), t("ig.latency"), t("ig.p95")],
        rows: routes,
        key: (r) => `${r.cluster}/${r.namespace}/${r.name}/${r.host}/${r.path}/${r.backend_service}`,
        row: (r) => html`<tr data-cluster=${r.cluster ?? ""} data-namespace=${r.namespace ?? ""} data-ingress=${r.name ?? ""} data-host=${r.host} data-path=${r.path}
            data-rps=${r.requests_per_s ?? ""}>
          <td class="cluster">${r.cluster ?? "–"}</td>
          <td class="ingress" title=${r.ingress_class ?? ""}>
            ${r.name ? `${r.namespace ?? ""}/${r.name}` : "–"}${r.declared ? nothing : html` <span class="badge" title=${t("ig.undeclaredHint")}>${t("ig.undeclared")}</span>`}
          </td>
          <td class="host">${r.host || "*"}</td>
          <td class="path mono">${r.path || "/"}</td>
          <td class="backend">${r.backend_service ? `${r.backend_service}:${r.backend_port ?? ""}` : "–"}</td>
          <td class="service">
            ${r.service ? html`<a href=${ctx.href({ page: "dashboard", sub: "", service: r.service, instance: "", extra: {} })}>${r.service}</a>` : "–"}
          </td>
          <td class="num rps">${r.requests_per_s === null ? "–" : fmtNum(r.requests_per_s, 2)}</td>
          <td class="num r4xx">${rate(r.error_rate_4xx, r.errors_4xx_per_s, 0.1)}</td>
          <td class="num r5xx">${rate(r.error_rate_5xx, r.errors_5xx_per_s, 0.05)}</td>
          <td class="num latency">${fmtMs(r.latency_avg_ms)}</td>
          <td class="num p95">${fmtMs(r.latency_p95_ms)}</td>
        </tr>`,
      }),
    );
    this.panel.setStatus(null);
  }

  dispose(): void {
    this.chart.dispose();
  }
}

function routeLabel(r: KubeIngressRoute): string {
  return `${r.host || "*"}${r.path || "/"}`;
}
