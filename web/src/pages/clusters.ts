// Several clusters in one view (issue 8, item 8): per cluster its label, connection
// state (an unreachable one with its error), nodes and pods ready, recent warning and
// critical episodes; per service, the share of its transactions each cluster served
// (stacked to 100 %) beside its replicas per cluster, on one time axis, so a 30/70
// split, an autoscale in one cloud and a failover read at a glance.

import type { KubeCluster, KubeTrafficCluster, TrafficBody } from "../api/types";
import { Chart, baseOption, palette, timeAxis, valueAxis } from "../charts";
import { emptyState, errorBox, h, html, nothing, Panel, view } from "../dom";
import { fmtPct } from "../format";
import { t, tf, type Key } from "../i18n";
import type { Ctx, PageView } from "../page";
import { onlyPart, pinInto, registerPanelKind } from "../pin";
import { seriesStep } from "../state";
import { kube } from "./kube";

/** Services charted at most (two charts and one API call each). */
const MAX_SERVICES = 8;

/** One of a service's two charts, a pinnable part (`clusters.share` / `clusters.replicas`). */
type TrafficPart = "share" | "replicas";

// The cluster cards, and each service's share and replicas charts (with its service).
registerPanelKind({
  kind: "clusters.cards",
  title: () => t("cl.title"),
  w: 12,
  h: 4,
  create: () => onlyPart(new Clusters(), "#clusters-panel"),
});
for (const part of ["share", "replicas"] as const) {
  registerPanelKind({
    kind: `clusters.${part}`,
    title: (p) => tf(part === "share" ? "cl.share" : "cl.replicas", { service: p.service ?? "" }),
    w: 6,
    h: 3,
    create: (p) => onlyPart(new Clusters(p.service ?? "", part), "#cluster-traffic-panel"),
  });
}

export function createClusters(): PageView {
  return new Clusters();
}

interface ServiceCharts {
  row: HTMLElement;
  share: Chart;
  replicas: Chart;
  shareTitle: HTMLElement;
  replicasTitle: HTMLElement;
}

class Clusters implements PageView {
  readonly el: HTMLElement;
  private readonly cards = new Panel(t("cl.title"), { id: "clusters-panel" });
  private readonly traffic = new Panel(t("cl.traffic"), { id: "cluster-traffic-panel", hint: t("cl.trafficHint") });
  private readonly rows = h("div", { class: "traffic-rows", id: "cluster-traffic" });
  private readonly charts = new Map<string, ServiceCharts>();
  private loaded = false;

  /** `only` and `part`: a pinned chart, that service's one chart (else every service's two). */
  constructor(
    private readonly only = "",
    private readonly part?: TrafficPart,
  ) {
    pinInto(this.cards.el, "clusters.cards", () => ({}));
    this.traffic.body.append(this.rows);
    this.el = h("div", { class: "page clusters", id: "page-clusters" }, this.cards.el, this.traffic.el);
  }

  async refresh(ctx: Ctx, signal: AbortSignal): Promise<void> {
    let clusters: KubeCluster[];
    try {
      clusters = (await kube.clusters(signal)).clusters;
    } catch (err) {
      if ((err as Error).name === "AbortError") throw err;
      this.cards.setStatus(errorBox(err), this.loaded);
      return;
    }
    this.loaded = true;
    this.renderCards(ctx, clusters);
    const names = clusters.map((c) => c.name).sort();
    const services = [...new Set(clusters.flatMap((c) => c.services ?? []))].sort((a, b) =>
      a === ctx.state.service ? -1 : b === ctx.state.service ? 1 : a.localeCompare(b),
    );
    const shown = this.only ? [this.only] : services.slice(0, MAX_SERVICES);
    if (!shown.length) {
      this.traffic.setStatus(emptyState(t("cl.noTraffic")));
      return;
    }
    const step = seriesStep(ctx.window);
    let bodies: TrafficBody[];
    try {
      bodies = await Promise.all(shown.map((s) => kube.traffic(s, ctx.window, step, signal)));
    } catch (err) {
      if ((err as Error).name === "AbortError") throw err;
      this.traffic.setStatus(errorBox(err), this.charts.size > 0);
      return;
    }
    this.renderTraffic(ctx, names, shown, bodies);
    this.traffic.setStatus(null);
  }

  private renderCards(ctx: Ctx, clusters: KubeCluster[]): void {
    if (!clusters.length) {
      view(this.cards.body, nothing);
      this.cards.setStatus(emptyState(t("cl.none"), t("cl.noneBody")));
      return;
    }
    const events = (c: KubeCluster, severity: string) =>
      ctx.href({ page: "events", sub: "", extra: { cluster: c.name, severity } });
    view(
      this.cards.body,
      html`<div class="cluster-cards">
        ${clusters.map(
          (c) => html`<article class="cluster-card state-${c.state}" data-cluster=${c.name} data-state=${c.state}>
            <header>
              <b class="cluster-name">${c.name}</b>
              ${c.label ? html`<span class="badge cluster-label">${c.label}</span>` : nothing}
              <span class="badge state ${c.state === "connected" ? "ok" : c.state === "unreachable" ? "bad" : ""}">${t(`cl.state.${c.state}` as Key) ?? c.state}</span>
            </header>
            ${c.error ? html`<p class="cluster-error bad-text" role="alert">${c.error}</p>` : nothing}
            <dl class="kv">
              <dt>${t("cl.nodes")}</dt><dd class="nodes ${c.nodes.ready < c.nodes.total ? "warn-text" : ""}">${c.nodes.ready} / ${c.nodes.total}</dd>
              <dt>${t("cl.pods")}</dt><dd class="pods ${c.pods.ready < c.pods.total ? "warn-text" : ""}">${c.pods.ready} / ${c.pods.total}</dd>
              <dt>${t("cl.criticals")}</dt><dd class="criticals"><a class=${c.recent.critical ? "bad-text" : ""} href=${events(c, "critical")}>${c.recent.critical}</a></dd>
              <dt>${t("cl.warnings")}</dt><dd class="warnings"><a class=${c.recent.warning ? "warn-text" : ""} href=${events(c, "warning")}>${c.recent.warning}</a></dd>
              <dt>${t("cl.services")}</dt><dd class="services">${(c.services ?? []).join(", ") || "–"}</dd>
            </dl>
          </article>`,
        )}
      </div>`,
    );
    this.cards.setStatus(null);
  }

  private renderTraffic(ctx: Ctx, clusters: string[], services: string[], bodies: TrafficBody[]): void {
    const p = palette();
    // One colour per cluster on every chart of the page.
    const all = [...new Set([...clusters, ...bodies.flatMap((b) => b.clusters.map(clusterName))])].sort();
    const color = (name: string) => p.series[all.indexOf(name) % p.series.length];
    const alive = new Set(services);
    services.forEach((service, i) => {
      const body = bodies[i];
      const charts = this.chartsFor(service);
      const mine = [...body.clusters].sort((a, b) => clusterName(a).localeCompare(clusterName(b)));
      const split = mine.filter((c) => c.share !== null).map((c) => `${clusterName(c)} ${fmtPct(c.share)}`).join(" · ");
      charts.shareTitle.textContent = `${tf("cl.share", { service })}${split ? ` — ${split}` : ""}`;
      charts.replicasTitle.textContent = tf("cl.replicas", { service });
      const points = mine.reduce((a, c) => a + c.points.length, 0);
      charts.share.set(
        {
          ...baseOption(),
          tooltip: { ...(baseOption().tooltip as object), valueFormatter: (v: number) => (v === null || v === undefined ? "–" : `${v.toFixed(1)}%`) },
          xAxis: timeAxis(ctx.window),
          yAxis: { ...valueAxis((v) => `${v}%`), max: 100 },
          series: mine.map((c) => ({
            type: "line",
            name: clusterName(c),
            stack: "share",
            color: color(clusterName(c)),
            areaStyle: { opacity: 0.55 },
            lineStyle: { width: 1 },
            // No transactions in a step: no share (a gap), not 0 %.
            data: c.points.map((x) => [x.ts, x.share === null ? null : round(x.share * 100)]),
            showSymbol: sparse(c.points.map((x) => x.share)),
            symbolSize: 4,
          })),
        },
        points,
        true,
      );
      charts.share.el.dataset.latest = JSON.stringify(latestShares(body));
      charts.share.el.dataset.shares = JSON.stringify(Object.fromEntries(mine.map((c) => [clusterName(c), c.share])));
      charts.replicas.set(
        {
          ...baseOption(),
          xAxis: timeAxis(ctx.window),
          yAxis: { ...valueAxis(), minInterval: 1 },
          series: mine.map((c) => ({
            type: "line",
            name: clusterName(c),
            step: "end",
            connectNulls: true,
            color: color(clusterName(c)),
            data: c.points.map((x) => [x.ts, x.replicas]),
            showSymbol: sparse(c.points.map((x) => x.replicas)),
            symbolSize: 4,
          })),
        },
        points,
        true,
      );
      charts.replicas.el.dataset.latest = JSON.stringify(Object.fromEntries(mine.map((c) => [clusterName(c), latestReplicas(c)])));
    });
    for (const [service, c] of this.charts) {
      if (alive.has(service)) continue;
      c.share.dispose();
      c.replicas.dispose();
      c.row.remove();
      this.charts.delete(service);
    }
    // Rows in the order of `services`.
    for (const s of services) this.rows.append(this.charts.get(s)!.row);
  }

  private chartsFor(service: string): ServiceCharts {
    const known = this.charts.get(service);
    if (known) return known;
    const shareBox = h("div", { class: "chart-box short share-chart", "data-service": service });
    const replicasBox = h("div", { class: "chart-box short replicas-chart", "data-service": service });
    const shareTitle = h("div", { class: "mini-title" });
    const replicasTitle = h("div", { class: "mini-title" });
    // The pin beside the title (the title's text is rewritten at each refresh).
    const head = (title: HTMLElement, part: TrafficPart) => {
      const el = h("div", { class: "mini-head", style: "display:flex;align-items:center;gap:4px" }, title);
      if (!this.part) pinInto(el, `clusters.${part}`, () => ({ service }));
      return el;
    };
    const wraps = {
      share: h("div", { class: "mini-wrap", "data-part": "share" }, head(shareTitle, "share"), shareBox),
      replicas: h("div", { class: "mini-wrap", "data-part": "replicas" }, head(replicasTitle, "replicas"), replicasBox),
    };
    // A pinned chart: the other one of the row is not shown.
    if (this.part) wraps[this.part === "share" ? "replicas" : "share"].style.display = "none";
    const row = h("div", { class: this.part ? "traffic-row" : "row two traffic-row", "data-service": service }, wraps.share, wraps.replicas);
    this.rows.append(row);
    const charts = { row, share: new Chart(shareBox), replicas: new Chart(replicasBox), shareTitle, replicasTitle };
    this.charts.set(service, charts);
    return charts;
  }

  dispose(): void {
    for (const c of this.charts.values()) {
      c.share.dispose();
      c.replicas.dispose();
    }
  }
}

/** Instances that send no `k8s.cluster.name` come as a cluster named null. */
function clusterName(c: KubeTrafficCluster): string {
  return c.cluster ?? t("cl.noCluster");
}

/** Each cluster's share at the latest step with transactions, for the browser tests. */
function latestShares(body: TrafficBody): Record<string, number> {
  const steps = new Map<number, Record<string, number>>();
  for (const c of body.clusters) {
    for (const x of c.points) {
      if (x.share === null) continue;
      const at = steps.get(x.ts) ?? {};
      at[clusterName(c)] = x.share;
      steps.set(x.ts, at);
    }
  }
  const last = Math.max(-Infinity, ...steps.keys());
  return steps.get(last) ?? {};
}

/** The cluster's replicas at its latest step that has a figure. */
function latestReplicas(c: KubeTrafficCluster): number | null {
  for (let i = c.points.length - 1; i >= 0; i--) if (c.points[i].replicas !== null) return c.points[i].replicas;
  return null;
}

/** Few figures among the steps: draw their dots, or isolated ones would not show. */
function sparse(values: readonly (number | null)[]): boolean {
  return values.filter((v) => v !== null).length < 20;
}

function round(v: number): number {
  return Math.round(v * 10) / 10;
}
