// Pods and containers against their limits (issue 8): per container, CPU and memory
// usage as a fraction of the limit (of the request when there is none), restarts and
// the last termination (an OOM kill with the limit it hit), per pod its phase,
// readiness, node, workload and service. Pods no agent reports from are listed too.

import type { KubeContainer, KubePod } from "../api/types";
import { emptyState, errorBox, h, html, nothing, Panel, view } from "../dom";
import { fmtBytes, fmtNum, fmtPct } from "../format";
import { t, tf } from "../i18n";
import type { Ctx, PageView } from "../page";
import { onlyPart, pinInto, registerPanelKind, type PanelParams } from "../pin";
import { filterBar, kube, meter, options, when } from "./kube";
import { table } from "./table";

/** One row: a container of a pod (a pod without containers yet has one with `c` null). */
interface Row {
  pod: KubePod;
  c: KubeContainer | null;
  first: boolean;
}

const SORTS = ["memory", "cpu", "restarts", "name"] as const;

// The hottest containers against their limits, a list one watches: pinnable with the
// page's filters and sort.
registerPanelKind({
  kind: "containers.table",
  title: (p) => [t("ct.title"), p.cluster, p.namespace, p.svc].filter(Boolean).join(" · "),
  w: 12,
  h: 5,
  create: () => onlyPart(new Containers(), "#containers-panel"),
});

export function createContainers(): PageView {
  return new Containers();
}

class Containers implements PageView {
  readonly el: HTMLElement;
  private readonly filters = h("div", { class: "filters", id: "container-filters" });
  private readonly panel = new Panel(t("ct.title"), { id: "containers-panel", hint: t("ct.hint") });
  private readonly summary = h("p", { class: "kube-summary", id: "containers-summary" });
  private clusters: string[] = [];
  private namespaces = new Set<string>();
  private loaded = false;
  private shown: PanelParams = {};

  constructor() {
    pinInto(this.panel.el, "containers.table", () => this.shown);
    this.el = h("div", { class: "page containers", id: "page-containers" }, this.filters, this.summary, this.panel.el);
  }

  async refresh(ctx: Ctx, signal: AbortSignal): Promise<void> {
    const x = ctx.state.extra;
    this.shown = { cluster: x.cluster ?? "", namespace: x.namespace ?? "", svc: x.svc ?? "", sort: x.sort ?? "" };
    let pods: KubePod[];
    try {
      const [body, clusters] = await Promise.all([
        kube.pods({ cluster: x.cluster, namespace: x.namespace, service: x.svc }, signal),
        kube.clusters(signal).catch((err: Error) => {
          if (err.name === "AbortError") throw err;
          return null;
        }),
      ]);
      pods = body.pods;
      if (clusters) this.clusters = clusters.clusters.map((c) => c.name);
    } catch (err) {
      if ((err as Error).name === "AbortError") throw err;
      this.panel.setStatus(errorBox(err), this.loaded);
      return;
    }
    this.loaded = true;
    for (const p of pods) this.namespaces.add(p.namespace);
    const sort = (SORTS as readonly string[]).includes(x.sort ?? "") ? (x.sort as (typeof SORTS)[number]) : "memory";
    view(
      this.filters,
      filterBar(ctx, "container-filter-form", [
        { name: "cluster", label: t("ct.cluster"), options: options([...this.clusters, ...pods.map((p) => p.cluster)]) },
        { name: "namespace", label: t("ct.namespace"), options: options(this.namespaces) },
        { name: "svc", label: t("common.service"), options: options([...ctx.services.map((s) => s.name), ...pods.map((p) => p.service)]) },
        {
          name: "sort",
          label: t("ct.sort"),
          empty: t("ct.sortMemory"),
          options: [
            { value: "cpu", label: t("ct.sortCpu") },
            { value: "restarts", label: t("ct.sortRestarts") },
            { value: "name", label: t("ct.sortName") },
          ],
        },
      ]),
    );
    this.renderSummary(pods);
    this.renderTable(ctx, sortPods(pods, sort));
  }

  private renderSummary(pods: KubePod[]): void {
    const containers = pods.flatMap((p) => p.containers);
    const hot = containers.filter((c) => Math.max(fraction(c, "memory") ?? 0, fraction(c, "cpu") ?? 0) >= 0.9).length;
    this.summary.textContent = tf("ct.summary", {
      pods: pods.length,
      ready: pods.filter((p) => p.ready).length,
      containers: containers.length,
      hot,
      restarts: containers.reduce((a, c) => a + c.restarts, 0),
    });
  }

  private renderTable(ctx: Ctx, pods: KubePod[]): void {
    this.panel.setTitle(`${t("ct.title")} (${pods.length})`);
    if (!pods.length) {
      view(this.panel.body, nothing);
      this.panel.setStatus(emptyState(t("ct.none"), t("ct.noneBody")));
      return;
    }
    const rows = pods.flatMap((pod): Row[] =>
      pod.containers.length ? pod.containers.map((c, i) => ({ pod, c, first: i === 0 })) : [{ pod, c: null, first: true }],
    );
    view(
      this.panel.body,
      table({
        id: "containers-table",
        head: [t("ct.pod"), t("ct.container"), t("ct.cpu"), t("ct.memory"), t("ct.restarts"), t("ct.lastTermination"), t("ct.node"), t("ct.workload"), t("common.service"), t("ct.cluster")],
        rows,
        key: (r) => `${r.pod.cluster}/${r.pod.namespace}/${r.pod.name}/${r.c?.name ?? ""}`,
        row: (r) => this.row(ctx, r),
      }),
    );
    this.panel.setStatus(null);
  }

  private row(ctx: Ctx, r: Row) {
    const { pod, c } = r;
    const term = c?.last_termination;
    const oom = term?.reason === "OOMKilled";
    return html`<tr class="${r.first ? "pod-first" : "pod-more"} ${oom ? "oom" : ""}" data-cluster=${pod.cluster} data-namespace=${pod.namespace}
        data-pod=${pod.name} data-container=${c?.name ?? ""} data-phase=${pod.phase} data-ready=${String(pod.ready)}>
      <td class="pod" title=${`${pod.namespace}/${pod.name}`}>
        ${r.first
          ? html`<span class="pod-name">${pod.name}</span>${
              // Only what is not normal stands out: a running, ready pod has no badge.
              pod.ready && pod.phase === "Running"
                ? nothing
                : html` <span class="badge bad phase" title=${pod.ready ? t("ct.ready") : t("ct.notReady")}
                    >${pod.reason ?? pod.phase}${pod.ready ? "" : ` · ${t("ct.notReady")}`}</span>`
            }`
          : html`<span class="muted">↳</span>`}
      </td>
      <td class="container" title=${c?.image ?? ""}>${c ? html`${c.name}${c.waiting_reason ? html` <span class="badge bad waiting">${c.waiting_reason}</span>` : nothing}` : "–"}</td>
      <td class="cpu">${c ? usage(c, "cpu") : nothing}</td>
      <td class="mem">${c ? usage(c, "memory") : nothing}</td>
      <td class="num restarts ${c && c.restarts > 0 ? "warn-text" : ""}">${c ? c.restarts : ""}</td>
      <td class="term ${oom ? "bad-text" : ""}" data-reason=${term?.reason ?? ""}>${term ? termination(term, c) : "–"}</td>
      <td class="node" title=${pod.node ?? ""}>${pod.node ?? "–"}</td>
      <td class="workload" title=${pod.workload_kind ?? ""}>${pod.workload ?? "–"}</td>
      <td class="service">
        ${pod.service
          ? html`<a href=${ctx.href({ page: "dashboard", sub: "", service: pod.service, instance: pod.instance ?? "", extra: {} })}>${pod.service}</a>`
          : html`<span class="badge" title=${t("ct.noAgentHint")}>${t("ct.noAgent")}</span>`}
      </td>
      <td class="cluster">${pod.cluster}<span class="muted"> / ${pod.namespace}</span></td>
    </tr>`;
  }

  dispose(): void {}
}

type Resource = "cpu" | "memory";

/** Usage as a fraction of the limit; null without a limit or a usage figure. */
export function fraction(c: KubeContainer, r: Resource): number | null {
  return c[r].limit_fraction;
}

function amount(v: number | null | undefined, r: Resource): string {
  if (v === null || v === undefined) return "–";
  return r === "cpu" ? tf("ct.cores", { value: fmtNum(v, 3) }) : fmtBytes(v);
}

function usage(c: KubeContainer, r: Resource) {
  const { usage: used, request, limit } = c[r];
  const title = tf("ct.usageTitle", { resource: t(r === "cpu" ? "ct.cpu" : "ct.memory"), usage: amount(used, r), request: amount(request, r), limit: amount(limit, r) });
  if (used === null) return html`<span class="muted" title=${title}>${t("ct.noUsage")}</span>`;
  if (!limit) {
    const show = (v: number) => (r === "cpu" ? fmtNum(v, 3) : fmtBytes(v));
    const text = request ? tf("ct.ofRequest", { usage: show(used), request: show(request) }) : show(used);
    return meter(null, `${text} · ${t("ct.noLimit")}`, title);
  }
  const f = fraction(c, r);
  // CPU in cores, as its column's heading says: "62% · 0.31 / 0.5".
  const show = (v: number) => (r === "cpu" ? fmtNum(v, 3) : fmtBytes(v));
  return meter(f, tf("ct.ofLimit", { pct: fmtPct(f), usage: show(used), limit: show(limit) }), title);
}

function termination(term: NonNullable<KubeContainer["last_termination"]>, c: KubeContainer | null) {
  const time = when(term.finished_at);
  if (term.reason === "OOMKilled") {
    return html`<b class="oom-note">${tf("ct.oom", { time, limit: c?.memory.limit ? fmtBytes(c.memory.limit) : "–" })}</b>`;
  }
  const sig = term.signal ? ` · ${tf("ct.signal", { signal: term.signal })}` : "";
  return html`${tf("ct.terminated", { reason: term.reason, time, code: term.exit_code })}${sig}`;
}

/** Hottest pods first (their highest container), each pod's containers together. */
function sortPods(pods: KubePod[], sort: (typeof SORTS)[number]): KubePod[] {
  const score = (p: KubePod): number => {
    if (sort === "restarts") return Math.max(0, ...p.containers.map((c) => c.restarts));
    if (sort === "name") return 0;
    return Math.max(-1, ...p.containers.map((c) => fraction(c, sort) ?? -1));
  };
  const name = (p: KubePod) => `${p.cluster}/${p.namespace}/${p.name}`;
  return [...pods].sort((a, b) => score(b) - score(a) || name(a).localeCompare(name(b)));
}
