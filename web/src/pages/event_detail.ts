// One episode (`#/events/<id>`): what happened and what to do (the summary), where
// (cluster, namespace, object, node, pod, container), Kubernetes' count of it over
// time, the latest message, the raw object it came from, and links to the service's
// dashboard and the pod's other episodes.

import type { EventDetail as Detail } from "../api/types";
import { Chart, baseOption, palette, timeAxis, valueAxis } from "../charts";
import { errorBox, h, html, nothing, Panel, view } from "../dom";
import { fmtTime } from "../format";
import { t, tf } from "../i18n";
import type { Ctx, PageView } from "../page";
import { kindLabel, kube, sevBadge, sevColor } from "./kube";

export class EventDetail implements PageView {
  readonly el: HTMLElement;
  private readonly head = h("div", { class: "event-head", id: "event-head" });
  private readonly info = new Panel(t("ev.detail"), { id: "event-panel" });
  private readonly countPanel = new Panel(t("ev.countChart"), { id: "event-count-panel", hint: t("ev.countHint") });
  private readonly rawPanel = new Panel(t("ev.raw"), { id: "event-raw-panel", hint: t("ev.rawHint") });
  private readonly chart: Chart;
  private loaded = false;
  private rawText = "";
  private readonly rawPre = h("pre", { class: "code raw-json", id: "event-raw" });

  constructor(private readonly id: string) {
    const box = h("div", { class: "chart-box short", id: "event-count-chart" });
    this.countPanel.body.append(box);
    this.chart = new Chart(box);
    // Open by default; its open/closed state is the user's across refreshes.
    this.rawPanel.body.append(h("details", { class: "raw", open: true, id: "event-raw-details" }, h("summary", null, "JSON"), this.rawPre));
    this.el = h(
      "div",
      { class: "page event-detail", id: "page-event-detail", "data-event-id": id },
      this.head,
      h("div", { class: "row two" }, this.info.el, this.countPanel.el),
      this.rawPanel.el,
    );
  }

  async refresh(ctx: Ctx, signal: AbortSignal): Promise<void> {
    let ep: Detail;
    try {
      ep = await kube.event(this.id, signal);
    } catch (err) {
      if ((err as Error).name === "AbortError") throw err;
      this.info.setStatus(errorBox(err), this.loaded);
      return;
    }
    this.loaded = true;
    const back = ctx.href({ sub: "" });
    view(
      this.head,
      html`<a class="btn small" id="event-back" href=${back}>← ${t("ev.back")}</a>
        <h2 class="event-summary" data-severity=${ep.severity}>${sevBadge(ep.severity)} <span id="event-summary">${ep.summary}</span></h2>`,
    );
    this.renderInfo(ctx, ep);
    this.renderCounts(ep);
    const raw = typeof ep.raw === "string" ? ep.raw : JSON.stringify(ep.raw, null, 2);
    if (raw !== this.rawText) {
      this.rawText = raw;
      this.rawPre.textContent = prettyJson(raw);
    }
    this.rawPanel.setStatus(null);
  }

  private renderInfo(ctx: Ctx, ep: Detail): void {
    const row = (label: string, value: unknown, cls = "") =>
      value === null || value === undefined || value === "" ? nothing : html`<dt>${label}</dt><dd class=${cls}>${value}</dd>`;
    const service = ep.service;
    view(
      this.info.body,
      html`<dl class="kv" id="event-fields">
          ${row(t("ev.kind"), kindLabel(ep.kind), "kind")}
          ${row(t("ev.reason"), ep.reason, "reason")}
          ${row(t("ev.cluster"), ep.cluster, "cluster")}
          ${row(t("ev.namespace"), ep.namespace, "namespace")}
          ${row(t("ev.object"), `${ep.object_kind}/${ep.object_name}`, "object")}
          ${row(t("ev.node"), ep.node, "node")}
          ${row(t("ev.pod"), ep.pod, "pod")}
          ${row(t("ev.container"), ep.container, "container")}
          ${row(t("common.service"), service, "service")}
          ${row(t("ev.count"), ep.count, "count")}
          ${row(t("ev.firstSeen"), fmtTime(ep.first_seen, true), "first-seen")}
          ${row(t("ev.lastSeen"), fmtTime(ep.last_seen, true), "last-seen")}
          ${row(t("ev.component"), ep.component, "component")}
          ${row(t("ev.source"), ep.source === "state" ? t("ev.sourceState") : ep.source ? t("ev.sourceEvent") : "", "source")}
        </dl>
        <h4>${t("ev.message")}</h4>
        <pre class="code" id="event-message">${ep.message}</pre>
        <p class="event-links">
          ${service
            ? html`<a id="event-dashboard" href=${ctx.href({ page: "dashboard", sub: "", service, instance: "", extra: {} })}>${tf("ev.openDashboard", { service })}</a>`
            : html`<span class="muted">${t("ev.noService")}</span>`}
          ${ep.pod
            ? html` · <a id="event-pod-events" href=${ctx.href({ sub: "", extra: { pod: ep.pod, cluster: ep.cluster } })}>${tf("ev.openPodEvents", { pod: ep.pod })}</a>`
            : nothing}
        </p>`,
    );
    this.info.setStatus(null);
  }

  private renderCounts(ep: Detail): void {
    const p = palette();
    const pts = ep.counts.map((c) => [c.ts, c.count]);
    // The episode's own span, padded so a single sighting is not drawn on the axis edge.
    const first = Math.min(ep.first_seen, ...ep.counts.map((c) => c.ts));
    const last = Math.max(ep.last_seen, ...ep.counts.map((c) => c.ts));
    const pad = Math.max(30_000, (last - first) * 0.05);
    this.chart.set(
      {
        ...baseOption(),
        legend: { show: false },
        xAxis: timeAxis({ from: first - pad, to: last + pad }),
        yAxis: { ...valueAxis(), minInterval: 1 },
        series: [
          {
            type: "line",
            name: t("ev.count"),
            step: "end",
            data: pts,
            showSymbol: pts.length < 60,
            color: sevColor(ep.severity, p),
            areaStyle: { opacity: 0.15 },
          },
        ],
      },
      pts.length,
    );
    this.chart.el.dataset.last = String(ep.counts.at(-1)?.count ?? "");
    this.countPanel.setStatus(null);
  }

  dispose(): void {
    this.chart.dispose();
  }
}

/** Indented JSON; text that is not JSON as it is. */
function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}
