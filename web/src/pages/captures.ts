// Captures (Diagnostics): every capture of the selected service, per instance, dead
// instances included (a capture outlives its process), filtered by kind, with what
// triggered it (a user, memory near the limit, a long request, SIGTERM, an alert).
// "Capture now" asks a live instance's agent for one kind; its pending row turns into
// the stored capture when the agent answers. A row opens the capture: thread dumps in
// the thread dump analyzer, memory in the memory analyzer, network / open files /
// processes below the list (`?capture=<id>`). The service's Kubernetes pods can be
// captured without an agent, through the exec API (jcmd in a JVM, /proc for the rest).

import type { TemplateResult } from "lit-html";
import { api, ApiError } from "../api";
import { emptyState, errorBox, h, html, loading, nothing, Panel, view } from "../dom";
import { canWrite } from "../access";
import { fmtTime } from "../format";
import { t, tf, type Key } from "../i18n";
import type { Ctx, PageView } from "../page";
import type { ViewState } from "../state";
import {
  captureMeta,
  diag,
  filesView,
  KINDS,
  kindLabel,
  memoryView,
  networkView,
  processesCompareView,
  processesView,
  summaryText,
  triggerBadge,
  triggerOf,
  type AnyCapture,
  type ProcessesComparison,
} from "./capture_views";
import { kube } from "./kube";
import { InstanceNames } from "./names";
import type { KubePod } from "../api/types";
import { onRowKey, table } from "./table";
import "./diagnostics.css";

const POLL_MS = 1000;
/** Allocation tracing windows offered for a memory capture (seconds; 0: no tracing). */
const WINDOWS = [0, 5, 10, 30];

export function createCaptures(ctx: Ctx): PageView {
  return new Captures(ctx);
}

/** Where a capture opens: its analyzer page, or this page's detail panel. */
export function capturePatch(c: Pick<AnyCapture, "id" | "kind" | "service" | "instance">): Partial<ViewState> {
  return c.kind === "threads"
      ? { page: "threads", sub: "", service: c.service, instance: c.instance, extra: { capture: c.id } }
      : c.kind === "memory"
        ? { page: "memory", sub: "", service: c.service, instance: c.instance, extra: { other: c.id } }
        : { page: "captures", sub: "", service: c.service, extra: { capture: c.id } };
}

export function captureHref(ctx: Ctx, c: Pick<AnyCapture, "id" | "kind" | "service" | "instance">): string {
  return ctx.href(capturePatch(c));
}

interface InstanceRow {
  instance: string;
  live: boolean;
  count: number;
  last: number | null;
}

class Captures implements PageView {
  readonly el: HTMLElement;
  private readonly instancesPanel: Panel;
  private readonly listPanel: Panel;
  private readonly detailPanel = new Panel(t("dg.capture"), { id: "capture-detail-panel" });
  private readonly podsPanel = new Panel(t("dg.pods"), { id: "diag-pods-panel", hint: t("dg.podsHint") });
  private pods: KubePod[] = [];
  /** The pod (`cluster/namespace/name kind`) whose capture the server is taking now. */
  private podBusy = "";
  private readonly kindBar = h("div", { class: "tabs kind-filter", id: "kind-filter", role: "group" });
  private readonly names = new InstanceNames();
  private ctx: Ctx;
  private rows: AnyCapture[] = [];
  private live: string[] = [];
  /** Captures asked for from this page, until the list shows them stored. */
  private readonly asked = new Map<string, AnyCapture>();
  private readonly polls = new AbortController();
  private pollTimer: number | undefined;
  private detail: AnyCapture | null = null;
  private windowS = 0;
  /** The movers since the previous processes capture, for the capture `moversFor`. */
  private movers: TemplateResult | typeof nothing = nothing;
  private moversFor = "";
  private readonly windowPick: HTMLSelectElement;

  constructor(ctx: Ctx) {
    this.ctx = ctx;
    this.windowPick = h(
      "select",
      { id: "memory-window", title: t("dg.windowHint") },
      ...WINDOWS.map((w) => h("option", { value: String(w) }, w ? tf("dg.window", { s: w }) : t("dg.noWindow"))),
    );
    this.windowPick.addEventListener("change", () => (this.windowS = Number(this.windowPick.value)));
    const tracing = h("label", { class: "field" }, h("span", null, t("dg.tracing")), this.windowPick);
    this.instancesPanel = new Panel(t("dg.instances"), { id: "diag-instances-panel", hint: t("dg.instancesHint"), actions: tracing });
    this.listPanel = new Panel(t("dg.captures"), { id: "captures-list-panel", actions: this.kindBar });
    this.el = h("div", { class: "page diagnostics", id: "page-captures" }, this.instancesPanel.el, this.podsPanel.el, this.listPanel.el, this.detailPanel.el);
    this.detailPanel.el.hidden = true;
    this.podsPanel.el.hidden = true;
    this.renderKinds();
  }

  private get kind(): string {
    const k = this.ctx.state.extra.kind ?? "";
    return (KINDS as readonly string[]).includes(k) ? k : "";
  }

  private renderKinds(): void {
    const pick = (k: string) => () => {
      this.ctx.setExtra({ kind: k });
      this.ctx.state.extra.kind = k;
      this.renderKinds();
      this.listPanel.setStatus(loading(), true);
      void this.loadList(this.polls.signal).catch(() => undefined);
    };
    view(
      this.kindBar,
      html`${["", ...KINDS].map(
        (k) => html`<button class="btn seg small ${this.kind === k ? "on" : ""}" data-kind=${k || "all"} @click=${pick(k)}>
          ${k ? kindLabel(k) : t("dg.allKinds")}
        </button>`,
      )}`,
    );
  }

  async refresh(ctx: Ctx, signal: AbortSignal): Promise<void> {
    this.ctx = ctx;
    this.names.learn([], ctx.instanceNames);
    const id = ctx.state.extra.capture ?? "";
    await Promise.all([this.loadLive(signal), this.loadPods(signal), this.loadList(signal), id && this.detail?.id !== id ? this.loadDetail(id, signal) : null]);
  }

  /** Instances whose agent reports now: only those can be asked for a capture. */
  private async loadLive(signal: AbortSignal): Promise<void> {
    try {
      const body = await api.activeRequests(this.ctx.state.service || undefined, undefined, signal);
      this.live = body.instances;
      this.names.learn([], body.instance_names);
    } catch (err) {
      if ((err as Error).name === "AbortError") throw err;
      this.live = [];
    }
  }

  /** The service's pods in the watched clusters (none without Kubernetes: no panel). */
  private async loadPods(signal: AbortSignal): Promise<void> {
    const service = this.ctx.state.service;
    try {
      this.pods = service ? (await kube.pods({ service }, signal)).pods : [];
    } catch (err) {
      if ((err as Error).name === "AbortError") throw err;
      this.pods = [];
    }
    this.renderPods();
  }

  private renderPods(): void {
    this.podsPanel.el.hidden = !this.pods.length;
    if (!this.pods.length) return;
    const key = (p: KubePod) => `${p.cluster}/${p.namespace}/${p.name}`;
    view(
      this.podsPanel.body,
      table({
        id: "diag-pods",
        head: [t("dg.pod"), t("dg.cluster"), t("dg.phase"), t("common.instance"), t("dg.captureNow")],
        rows: this.pods,
        key,
        row: (p) => html`<tr data-pod=${p.name} data-cluster=${p.cluster} data-namespace=${p.namespace}>
          <td class="mono">${p.namespace}/${p.name}</td>
          <td>${p.cluster}</td>
          <td>${p.phase}</td>
          <td class="inst clip" title=${p.instance ?? ""}>${p.instance ? this.names.of(p.instance) : "–"}</td>
          <td class="capture-now">${!canWrite() ? nothing : p.phase === "Running"
            ? KINDS.map((k) => {
                const busy = this.podBusy === `${key(p)} ${k}`;
                return html`<button class="btn small capture-pod" data-kind=${k} ?disabled=${!!this.podBusy}
                  @click=${() => void this.capturePod(p, k)}>${busy ? t("dg.capturing") : kindLabel(k)}</button>`;
              })
            : html`<span class="muted">${t("dg.notRunning")}</span>`}</td>
        </tr>`,
      }),
    );
    this.podsPanel.setStatus(null);
  }

  /** The server execs into the pod, stores the capture and answers with it: open it. */
  private async capturePod(p: KubePod, kind: string): Promise<void> {
    this.podBusy = `${p.cluster}/${p.namespace}/${p.name} ${kind}`;
    this.renderPods();
    const container = p.containers.length > 1 ? p.containers[0]?.name : undefined;
    try {
      const { id } = await diag.requestPod({ cluster: p.cluster, namespace: p.namespace, pod: p.name, container }, kind, this.polls.signal);
      this.podBusy = "";
      this.renderPods();
      await this.loadList(this.polls.signal);
      const stored = this.rows.find((r) => r.id === id);
      if (stored) this.open(stored);
    } catch (err) {
      if ((err as Error).name === "AbortError") return;
      this.podBusy = "";
      this.renderPods();
      this.podsPanel.setStatus(errorBox(err), true);
    }
  }

  private async loadList(signal: AbortSignal): Promise<void> {
    const s = this.ctx.state;
    try {
      const w = this.ctx.window;
      // Live: up to now (a capture stored since the last refresh is after its window's end).
      const body = await diag.list(
        { service: s.service || undefined, instance: s.instance || undefined, kind: this.kind || undefined, from: w.from, to: this.ctx.live ? undefined : w.to, limit: 200 },
        signal,
      );
      this.rows = body.captures;
      this.names.learn(body.captures);
    } catch (err) {
      if ((err as Error).name === "AbortError") throw err;
      this.listPanel.setStatus(errorBox(err, () => void this.loadList(this.polls.signal)), this.rows.length > 0);
      return;
    }
    for (const r of this.rows) if (r.status !== "pending") this.asked.delete(r.id);
    this.render();
  }

  /** The list's rows and the captures asked for here that it does not show yet. */
  private shown(): AnyCapture[] {
    const ids = new Set(this.rows.map((r) => r.id));
    const extra = [...this.asked.values()].filter((c) => !ids.has(c.id) && (!this.kind || c.kind === this.kind));
    return [...extra, ...this.rows];
  }

  private render(): void {
    this.renderInstances();
    this.renderList();
  }

  private renderInstances(): void {
    const byInstance = new Map<string, InstanceRow>();
    for (const id of this.live) byInstance.set(id, { instance: id, live: true, count: 0, last: null });
    for (const c of this.shown()) {
      const row = byInstance.get(c.instance) ?? { instance: c.instance, live: false, count: 0, last: null };
      row.count += 1;
      const when = c.captured_at ?? c.requested_at ?? null;
      if (when !== null && (row.last === null || when > row.last)) row.last = when;
      byInstance.set(c.instance, row);
    }
    const rows = [...byInstance.values()].sort((a, b) => Number(b.live) - Number(a.live) || (b.last ?? 0) - (a.last ?? 0));
    if (!rows.length) {
      view(this.instancesPanel.body, nothing);
      this.instancesPanel.setStatus(emptyState(t("dg.noInstances"), this.ctx.state.service ? t("dg.noInstancesBody") : t("dg.pickService")));
      return;
    }
    const pending = new Set(this.shown().filter((c) => c.status === "pending").map((c) => `${c.instance} ${c.kind}`));
    view(
      this.instancesPanel.body,
      table({
        id: "diag-instances",
        head: [t("common.instance"), t("dg.agent"), t("dg.captures"), t("dg.last"), t("dg.captureNow")],
        rows,
        key: (r) => r.instance,
        row: (r) => html`<tr data-instance=${r.instance} data-live=${r.live ? "yes" : "no"}>
          <td class="inst clip" title=${r.instance}>${this.names.of(r.instance)}</td>
          <td><span class="badge ${r.live ? "ok" : ""}">${t(r.live ? "dg.live" : "dg.gone")}</span></td>
          <td class="num">${r.count}</td>
          <td>${r.last === null ? "–" : fmtTime(r.last, true)}</td>
          <td class="capture-now">${!canWrite() ? nothing : r.live && this.ctx.state.service
            ? KINDS.map((k) => {
                const busy = pending.has(`${r.instance} ${k}`);
                return html`<button class="btn small capture-kind" data-instance=${r.instance} data-kind=${k} ?disabled=${busy}
                  @click=${() => void this.captureNow(r.instance, k)}>${busy ? t("dg.capturing") : kindLabel(k)}</button>`;
              })
            : html`<span class="muted">${t(r.live ? "dg.pickToCapture" : "dg.noAgent")}</span>`}</td>
        </tr>`,
      }),
    );
    this.instancesPanel.setStatus(null);
  }

  private renderList(): void {
    const rows = this.shown();
    this.listPanel.setTitle(`${t("dg.captures")} (${rows.length})`);
    if (!rows.length) {
      view(this.listPanel.body, nothing);
      this.listPanel.setStatus(emptyState(t("dg.none"), t("dg.noneBody")));
      return;
    }
    const selected = this.ctx.state.extra.capture ?? "";
    view(
      this.listPanel.body,
      table({
        id: "captures-list",
        head: [t("dg.captured"), t("common.instance"), t("dg.kind"), t("dg.trigger"), t("dg.summary"), t("common.status")],
        rows,
        key: (c) => c.id,
        row: (c) => {
          const when = c.captured_at ?? c.requested_at;
          const badge = c.status === "done" ? "ok" : c.status === "failed" ? "bad" : "";
          const go = () => this.open(c);
          return html`<tr
            class="clickable ${c.id === selected ? "selected" : ""}"
            tabindex="0"
            data-capture-id=${c.id}
            data-kind=${c.kind}
            data-status=${c.status}
            data-instance=${c.instance}
            @click=${go}
            @keydown=${onRowKey(go)}
          >
            <td>${when ? fmtTime(when, true) : "–"}</td>
            <td class="inst clip" title=${c.instance}>${this.names.of(c.instance)}</td>
            <td class="kind">${kindLabel(c.kind)}</td>
            <td>${triggerBadge(triggerOf(c))}</td>
            <td class="summary">${c.status === "pending" ? html`<span class="spinner"></span>` : summaryText(c)}</td>
            <td><span class="badge ${badge}">${t(`dg.status.${c.status}` as Key)}</span></td>
          </tr>`;
        },
      }),
    );
    this.listPanel.setStatus(null);
  }

  private async captureNow(instance: string, kind: string): Promise<void> {
    const service = this.ctx.state.service;
    const row: AnyCapture = { id: `asking-${instance}-${kind}`, service, instance, instance_name: this.names.of(instance), kind, status: "pending", requested_at: Date.now() };
    this.asked.set(row.id, row);
    this.render();
    try {
      const { id } = await diag.request(service, instance, kind, this.windowS, this.polls.signal);
      this.asked.delete(row.id);
      this.asked.set(id, { ...row, id });
    } catch (err) {
      if ((err as Error).name === "AbortError") return;
      this.asked.delete(row.id);
      this.instancesPanel.setStatus(errorBox(err), true);
      this.render();
      return;
    }
    this.render();
    this.schedulePoll();
  }

  /** Until every capture asked for here is stored (or gone), refetch them each second. */
  private schedulePoll(): void {
    window.clearTimeout(this.pollTimer);
    this.pollTimer = window.setTimeout(async () => {
      const waiting = [...this.asked.values()].filter((c) => !c.id.startsWith("asking-"));
      let changed = false;
      for (const c of waiting) {
        try {
          const now = await diag.one(c.id, this.polls.signal);
          if (now.status !== "pending") {
            this.asked.delete(c.id);
            changed = true;
          }
        } catch (err) {
          if ((err as Error).name === "AbortError") return;
          if (err instanceof ApiError && err.status === 404) {
            this.asked.delete(c.id);
            changed = true;
          }
        }
      }
      if (changed) await this.loadList(this.polls.signal).catch(() => undefined);
      if (this.asked.size) this.schedulePoll();
    }, POLL_MS);
  }

  private open(c: AnyCapture): void {
    if (c.kind === "threads" || c.kind === "memory") {
      this.ctx.navigate(capturePatch(c));
      return;
    }
    this.ctx.setExtra({ capture: c.id });
    this.ctx.state.extra.capture = c.id;
    this.renderList();
    void this.loadDetail(c.id, this.polls.signal).catch(() => undefined);
  }

  private async loadDetail(id: string, signal: AbortSignal): Promise<void> {
    this.detailPanel.el.hidden = false;
    this.detailPanel.setStatus(loading(), this.detail !== null);
    try {
      const c = await diag.one(id, signal);
      this.names.learn([c]);
      this.detail = c;
      if (c.status === "pending") {
        this.detailPanel.setStatus(h("div", { class: "loading", "data-state": "pending" }, h("span", { class: "spinner" }), t("dg.waiting")));
        window.setTimeout(() => void this.loadDetail(id, this.polls.signal).catch(() => undefined), POLL_MS);
        return;
      }
      this.renderDetail(c);
    } catch (err) {
      if ((err as Error).name === "AbortError") throw err;
      this.detailPanel.setStatus(errorBox(err));
    }
  }

  private renderDetail(c: AnyCapture): void {
    const name = this.names.of(c.instance);
    this.detailPanel.setTitle(`${kindLabel(c.kind)} · ${name}`);
    this.detailPanel.el.dataset.captureId = c.id;
    this.detailPanel.el.dataset.kind = c.kind;
    this.detailPanel.el.dataset.status = c.status;
    let body: TemplateResult;
    if (c.status === "failed") {
      body = html`<div class="api-error" role="alert"><strong>${t("dg.failed")}</strong><span>${String(c.summary?.error ?? "")}</span></div>`;
    } else if (c.kind === "network") {
      body = networkView(c);
    } else if (c.kind === "files") {
      body = filesView(c);
    } else if (c.kind === "processes") {
      body = html`${processesView(c)}<div id="processes-compare-box">${this.moversFor === c.id ? this.movers : nothing}</div>`;
    } else if (c.kind === "memory") {
      body = html`<p><a href=${captureHref(this.ctx, c)}>${t("dg.openCompare")}</a></p>${memoryView(c)}`;
    } else {
      body = html`<p><a href=${captureHref(this.ctx, c)}>${tf("dg.openIn", { kind: kindLabel(c.kind) })}</a></p>`;
    }
    view(this.detailPanel.body, html`${captureMeta(c, name)}${body}`);
    this.detailPanel.setStatus(null);
    if (c.kind === "processes" && c.status === "done" && this.moversFor !== c.id) void this.loadMovers(c).catch(() => undefined);
  }

  /** Against the processes capture of the same instance before this one, when there is one. */
  private async loadMovers(c: AnyCapture): Promise<void> {
    this.moversFor = c.id;
    this.movers = nothing;
    const base = this.rows.find(
      (r) => r.kind === "processes" && r.instance === c.instance && r.status === "done" && r.id !== c.id && (r.captured_at ?? 0) < (c.captured_at ?? 0),
    );
    if (!base) return;
    try {
      const body = await diag.compare(base.id, c.id, this.polls.signal);
      this.movers = processesCompareView(base, body.comparison as ProcessesComparison);
    } catch (err) {
      if ((err as Error).name === "AbortError") throw err;
      this.movers = html`${errorBox(err)}`;
    }
    if (this.detail?.id === c.id) this.renderDetail(c);
  }

  dispose(): void {
    window.clearTimeout(this.pollTimer);
    this.polls.abort();
  }
}
