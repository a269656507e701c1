// Thread captures (F5 diagnostics): ask an instance's agent what every thread is doing,
// wait for its answer (the agent polls every few seconds) and show each thread's state,
// stack and the request it serves. Captures are stored by the server, so the list of
// recent ones outlives the process; `?capture=<id>` in the URL opens one.
// The analyzer above the threads reads the server's `analysis` of the capture: threads
// grouped by identical stack and state (how many are stuck where), deadlocks in plain
// words, the lock graph (who holds each lock, who waits for it) and the hottest frames.
// JVM dumps (`jcmd Thread.print`) read the same way, from the server's parse of them.
// Used by the Transactions page and as the Diagnostics section's "Thread dumps" page.

import type { TemplateResult } from "lit-html";
import { api, ApiError, type ActiveRequest, type Capture, type StackFrame, type ThreadInfo } from "../api";
import { emptyState, errorBox, h, html, loading, nothing, Panel, repeat, view } from "../dom";
import { canWrite } from "../access";
import { fmtMs, fmtTime } from "../format";
import { t, tf, type Key } from "../i18n";
import type { Ctx } from "../page";
import type { components } from "../api/types";
import { analysisOf, triggerBadge, triggerOf, type ThreadsAnalysis } from "./capture_views";
import type { ViewState } from "../state";
import { InstanceNames } from "./names";
import type { PageView } from "../page";
import { onRowKey, table } from "./table";
import "./diagnostics.css";

const POLL_MS = 1000;
/** After this long without an answer, say so (the capture keeps waiting). */
const LATE_MS = 30_000;

/** Where a click on an in-flight request goes: its trace, which may not be stored yet. */
export function traceLink(r: Pick<ActiveRequest, "trace_id" | "service" | "start_unix_nano">): Partial<ViewState> {
  return { page: "traces", sub: r.trace_id, service: r.service, instance: "", extra: { start: String(Math.floor(r.start_unix_nano / 1e6)) } };
}

export class ThreadDump {
  readonly el: HTMLElement;
  private readonly dumpPanel: Panel;
  private readonly recentPanel: Panel;
  private ctx: Ctx | null = null;
  private current: Capture | null = null;
  private currentId: string;
  private requestedAt = 0;
  private recent: Capture[] = [];
  private pollTimer: number | undefined;
  private readonly polls = new AbortController();
  private busy = false;
  /** Threads the user opened or closed in the shown capture (by thread id). */
  private readonly opened = new Map<number, boolean>();
  private openedFor = "";

  constructor(
    captureId: string,
    private readonly names: InstanceNames,
    private readonly onPendingChange: () => void,
  ) {
    this.currentId = captureId;
    this.dumpPanel = new Panel(t("tx.dump"), { id: "capture-panel" });
    this.recentPanel = new Panel(t("tx.recent"), { id: "captures-panel" });
    this.el = h("div", { class: "row capture-row" }, this.dumpPanel.el, this.recentPanel.el);
    this.showDump(!!captureId);
  }

  /** True while a capture of `instance` waits for the agent. */
  pendingFor(instance: string): boolean {
    return this.current?.status === "pending" && this.current.instance === instance;
  }

  async start(ctx: Ctx, service: string, instance: string): Promise<void> {
    this.ctx = ctx;
    this.current = { id: "", service, instance, kind: "threads", status: "pending" };
    this.requestedAt = Date.now();
    this.showDump(true);
    this.renderPending();
    this.onPendingChange();
    try {
      const { id } = await api.requestCapture(service, instance, "threads", this.polls.signal);
      this.current.id = id;
      this.currentId = id;
      ctx.setExtra({ capture: id });
    } catch (err) {
      if ((err as Error).name === "AbortError") return;
      this.current = null;
      this.dumpPanel.setStatus(errorBox(err));
      this.onPendingChange();
      return;
    }
    this.schedulePoll();
  }

  async refresh(ctx: Ctx, signal: AbortSignal): Promise<void> {
    this.ctx = ctx;
    const stale = this.currentId && (!this.current || this.current.status === "pending");
    await Promise.all([this.loadRecent(ctx, signal), stale ? this.loadCurrent(signal) : null]);
  }

  private async loadRecent(ctx: Ctx, signal: AbortSignal): Promise<void> {
    try {
      const body = await api.captures({ service: ctx.state.service || undefined, instance: ctx.state.instance || undefined, kind: "threads", limit: 10 }, signal);
      this.recent = body.captures;
      this.names.learn(body.captures);
    } catch (err) {
      if ((err as Error).name === "AbortError") throw err;
      this.recentPanel.setStatus(errorBox(err), this.recent.length > 0);
      return;
    }
    this.renderRecent();
  }

  /** Fetch the shown capture; true when it is final (done or failed). */
  private async loadCurrent(signal: AbortSignal): Promise<boolean> {
    if (!this.currentId || this.busy) return false;
    this.busy = true;
    try {
      const c = await api.capture(this.currentId, signal);
      this.names.learn([c]);
      const wasPending = this.current?.status === "pending";
      this.current = c;
      if (c.status === "pending") {
        this.requestedAt ||= c.requested_at ?? Date.now();
        this.renderPending();
        return false;
      }
      this.renderDump(c);
      if (wasPending) {
        this.onPendingChange();
        if (this.ctx) void this.loadRecent(this.ctx, this.polls.signal).catch(() => undefined);
      }
      return true;
    } catch (err) {
      if ((err as Error).name === "AbortError") throw err;
      this.dumpPanel.setStatus(errorBox(err, () => void this.loadCurrent(this.polls.signal)));
      if (err instanceof ApiError && err.status === 404) {
        this.current = null; // an unknown id in the URL: nothing to wait for
        this.onPendingChange();
      }
      return true;
    } finally {
      this.busy = false;
    }
  }

  private schedulePoll(): void {
    window.clearTimeout(this.pollTimer);
    this.pollTimer = window.setTimeout(async () => {
      try {
        if (!(await this.loadCurrent(this.polls.signal))) this.schedulePoll();
      } catch {
        // aborted: the page is gone
      }
    }, Date.now() - this.requestedAt >= LATE_MS ? 5 * POLL_MS : POLL_MS);
  }

  private open(c: Capture): void {
    // Reopening the capture shown keeps it on screen (and its open threads) while it reloads.
    const same = c.id === this.currentId && this.dumpPanel.el.dataset.captureId === c.id;
    this.currentId = c.id;
    this.current = c.status === "pending" ? c : null;
    this.requestedAt = c.requested_at ?? 0;
    this.ctx?.setExtra({ capture: c.id });
    this.showDump(true);
    this.dumpPanel.setStatus(loading(), same);
    this.onPendingChange();
    void this.loadCurrent(this.polls.signal)
      .then((final) => {
        if (!final) this.schedulePoll();
      })
      .catch(() => undefined);
    this.renderRecent();
  }

  private showDump(on: boolean): void {
    this.dumpPanel.el.hidden = !on;
    this.el.classList.toggle("has-dump", on);
  }

  private renderPending(): void {
    const c = this.current!;
    const waited = Date.now() - (this.requestedAt || Date.now());
    const late = waited >= LATE_MS;
    const name = this.names.of(c.instance);
    this.dumpPanel.setTitle(`${t("tx.dump")} · ${name}`);
    this.dumpPanel.el.dataset.status = "pending";
    view(this.dumpPanel.body, nothing);
    this.dumpPanel.setStatus(
      h(
        "div",
        { class: late ? "empty" : "loading", "data-state": "pending" },
        late ? null : h("span", { class: "spinner" }),
        tf(late ? "tx.dumpLate" : "tx.dumpWaiting", { instance: name, seconds: Math.round(waited / 1000) }),
      ),
    );
  }

  private renderDump(c: Capture): void {
    if (this.openedFor !== c.id) {
      this.opened.clear();
      this.openedFor = c.id;
    }
    const name = this.names.of(c.instance);
    this.dumpPanel.el.dataset.status = c.status;
    this.dumpPanel.el.dataset.captureId = c.id;
    this.dumpPanel.setTitle(`${t("tx.dump")} · ${name}`);
    const a = analysisOf(c, "threads");
    const threads = [...threadsOf(c)].sort(
      (a, b) => Number(!!b.request) - Number(!!a.request) || (b.request?.elapsed_ms ?? 0) - (a.request?.elapsed_ms ?? 0) || a.name.localeCompare(b.name),
    );
    const s = c.summary ?? {};
    const meta = html`<dl class="kv">
      <dt>${t("common.service")}</dt><dd>${c.service}</dd>
      <dt>${t("common.instance")}</dt><dd class="inst" title=${c.instance}>${name}</dd>
      <dt>${t("tx.hostPid")}</dt><dd>${s.host ? `${s.host} · ${s.pid ?? "?"}` : "–"}</dd>
      <dt>${t("tx.capturedAt")}</dt><dd>${c.captured_at ? fmtTime(c.captured_at, true) : "–"}</dd>
      <dt>${t("tx.threads")}</dt><dd id="capture-summary">${tf("tx.dumpSummary", {
        // A JVM dump's threads are in the server's analysis only (its document is the text).
        threads: threads.length || (a?.thread_count ?? 0),
        serving: threads.filter((x) => x.request).length || (a?.requests.length ?? 0),
      })}</dd>
      ${c.format ? html`<dt>${t("td.format")}</dt><dd class="mono" id="capture-format">${c.format}</dd>` : nothing}
      ${triggerOf(c) ? html`<dt>${t("dg.trigger")}</dt><dd>${triggerBadge(triggerOf(c))} <span class="muted">${triggerOf(c)?.detail ?? ""}</span></dd>` : nothing}
    </dl>`;
    const body =
      c.status === "failed"
        ? html`${meta}<div class="api-error" role="alert"><strong>${t("tx.dumpFailed")}</strong><span>${s.error || ""}</span></div>`
        : html`${meta}${this.analysis(a)}
            ${threads.length ? html`<h4>${tf("td.allThreads", { n: threads.length })}</h4>` : nothing}
            <div class="threads" id="capture-threads">${repeat(threads, (th) => String(th.id), (th) => this.thread(th))}</div>
            ${rawText(c, !threads.length)}`;
    view(this.dumpPanel.body, body);
    this.dumpPanel.setStatus(null);
  }

  /** One thread, open when it serves a request until the user opens or closes it. */
  private thread(th: Thread): TemplateResult {
    const r = th.request;
    const frames = [...(th.stack ?? [])].reverse(); // innermost first, as thread dumps read
    const toggled = (e: Event) => this.opened.set(th.id, (e.currentTarget as HTMLDetailsElement).open);
    const holds = th.holds ?? [];
    return html`<details
      class="thread ${r ? "serving" : ""}"
      data-thread-id=${th.id}
      data-state=${th.state}
      .open=${this.opened.get(th.id) ?? !!r}
      @toggle=${toggled}
    >
      <summary>
        <span class="thread-name">${th.name || String(th.id)}</span>
        ${stateBadge(th.state)}
        ${th.daemon ? html`<span class="badge">${t("tx.daemon")}</span>` : nothing}
        ${holds.length ? html`<span class="badge lock-holds" title=${t("td.holds")}>🔒 ${holds.join(", ")}</span>` : nothing}
        ${th.waits_for ? html`<span class="badge bad lock-waits" title=${t("td.waitsFor")}>⏳ ${th.waits_for}</span>` : nothing}
        ${r ? this.requestInfo(r) : html`<span class="muted">${t("tx.noRequest")}</span>`}
      </summary>
      ${frames.length
        ? html`<div class="frames" aria-label=${t("tx.stack")}>${frames.map((f) => frame(f))}</div>`
        : html`<div class="muted">${t("tx.noStack")}</div>`}
    </details>`;
  }

  /** The request a thread serves: method (or span name) and URL, elapsed, a link to its trace. */
  /** The trace of a request seen in the capture: it started `elapsed_ms` before the capture. */
  private traceOf(r: { trace_id?: string | null; start_unix_nano?: number | null; elapsed_ms?: number | null }): Partial<ViewState> {
    const capturedMs = this.current?.captured_at ?? Date.now();
    const start = r.start_unix_nano ?? (capturedMs - (r.elapsed_ms ?? 0)) * 1e6;
    return traceLink({ trace_id: r.trace_id ?? "", service: this.current?.service ?? "", start_unix_nano: start });
  }

  private requestInfo(r: ThreadRequest): TemplateResult {
    const what = r.method ? `${r.method} ${r.url ?? ""}` : `${r.name ?? ""}${r.url && r.url !== r.route ? ` ${r.url}` : ""}`;
    return html`<span class="thread-request"
      >${t("tx.serving")}: <span class="mono">${what}</span> · ${fmtMs(r.elapsed_ms)}
      ${this.ctx && r.trace_id
        ? html`· <a class="mono trace-link" data-trace-id=${r.trace_id} href=${this.ctx.href(this.traceOf(r))}
            >${r.trace_id.slice(0, 16)}</a
          >`
        : nothing}</span
    >`;
  }

  /** The analyzer: deadlocks, groups of identical stacks, requests served, the lock
   *  graph, hottest frames — as the server's analysis gives them. */
  private analysis(a: ThreadsAnalysis | null): TemplateResult | typeof nothing {
    if (!a) return nothing;
    const named = (r: ThreadRef) => r.name || String(r.id);
    // The agent's wait-for cycles and a JVM dump's own "Found one Java-level deadlock".
    const deadlocks = [...a.deadlocks.map((d) => d.message), ...a.jvm_deadlocks.map((d) => d.text)];
    return html`<div class="thread-analysis" id="thread-analysis">
      <p class="headline" id="thread-headline">${a.headline}</p>
      ${deadlocks.length
        ? html`<div class="api-error deadlocks" id="thread-deadlocks" role="alert">
            <strong>${tf("td.deadlocks", { n: deadlocks.length })}</strong>
            ${deadlocks.map((d) => html`<div class="deadlock">${d}</div>`)}
          </div>`
        : html`<p class="muted" id="thread-no-deadlock">${a.lock_tracking ? t("td.noDeadlock") : t("td.noTracking")}</p>`}
      ${a.groups.length
        ? html`<h4>${tf("td.groups", { n: a.groups.length })}</h4>
            ${table({
              id: "thread-groups",
              head: [t("td.count"), t("td.states"), t("td.where"), t("tx.threads")],
              rows: a.groups,
              key: (g) => `${g.state}|${g.stack.map((f) => `${f.file}:${f.line}:${f.function}`).join(">")}`,
              row: (g) => {
                const top = g.stack[g.stack.length - 1];
                const names = g.threads.map(named);
                const more = g.count - names.length; // the API lists at most 100 names a group
                return html`<tr data-count=${g.count} data-state=${g.state}>
                  <td class="num count">${g.count}</td>
                  <td>${stateBadge(g.state)}</td>
                  <td class="mono where">${top ? `${top.function} (${shortPath(top.file)}:${top.line ?? "?"})` : g.top}${g.app_top ? html`<div class="muted app-frame">← ${g.app_top}</div>` : nothing}</td>
                  <td class="clip" title=${names.join(", ")}>${names.slice(0, 6).join(", ")}${names.length + more > 6 ? ` +${names.length + more - 6}` : ""}</td>
                </tr>`;
              },
            })}`
        : nothing}
      ${a.requests.length
        ? html`<h4>${tf("td.requests", { n: a.requests.length })}</h4>
            ${table({
              id: "thread-requests",
              head: [t("tx.thread"), t("tx.request"), t("tx.elapsed"), t("td.where"), t("td.trace")],
              rows: a.requests,
              key: (r) => `${String(r.thread_id ?? "")} ${r.task ?? ""} ${r.span_id ?? r.trace_id ?? ""}`,
              row: (r) => html`<tr data-thread-id=${String(r.thread_id ?? "")} data-trace-id=${r.trace_id ?? ""}>
                <td>${r.task ? html`${r.task} <span class="muted">(${r.thread ?? ""})</span>` : r.thread ?? ""}</td>
                <td class="mono">${r.name ?? ""}${r.url && r.url !== r.route ? html` <span class="muted">${r.url}</span>` : nothing}</td>
                <td class="num">${fmtMs(r.elapsed_ms)}</td>
                <td class="mono">${r.frame}</td>
                <td>${this.ctx && r.trace_id ? html`<a class="mono" href=${this.ctx.href(this.traceOf(r))}>${r.trace_id.slice(0, 16)}</a>` : "–"}</td>
              </tr>`,
            })}`
        : nothing}
      ${a.lock_graph.length
        ? html`<h4>${tf("td.locks", { n: a.lock_graph.length })}</h4>
            <ul class="lock-graph" id="thread-locks">
              ${a.lock_graph.map((l) => {
                const waiters = l.waiters.map(named);
                const owner = l.owner_name ?? (l.owner === null || l.owner === undefined ? null : String(l.owner));
                return html`<li data-lock=${l.lock} class=${waiters.length ? "contended" : ""}>
                  <span class="mono">${l.lock}</span>
                  <span class="muted" title=${l.created_at ?? ""}>${l.type ?? ""}${l.created_at ? ` · ${shortPath(l.created_at)}` : ""}</span>:
                  ${owner === null ? t("td.free") : tf("td.heldBy", { thread: owner })}${waiters.length
                    ? html`; <span class="bad-text">${tf("td.waitedBy", { threads: waiters.join(", ") })}</span>`
                    : nothing}
                </li>`;
              })}
            </ul>`
        : nothing}
      ${a.hot_frames.length
        ? html`<h4>${t("td.hot")}</h4>
            <ol class="hot-frames" id="thread-hot">
              ${a.hot_frames.slice(0, 10).map(
                (f) => html`<li><b>${f.threads}</b> <span class="mono">${f.function}</span> <span class="muted mono">${shortPath(f.file)}:${f.line}</span></li>`,
              )}
            </ol>`
        : nothing}
    </div>`;
  }

  private renderRecent(): void {
    if (!this.recent.length) {
      view(this.recentPanel.body, nothing);
      this.recentPanel.setStatus(emptyState(t("tx.noCaptures")));
      return;
    }
    const open = (c: Capture) => () => this.open(c);
    view(
      this.recentPanel.body,
      table({
        id: "captures-table",
        head: [t("tx.capturedAt"), t("common.instance"), t("tx.threads"), t("tx.serving"), t("common.status")],
        rows: this.recent,
        key: (c) => c.id,
        row: (c) => {
          const when = c.captured_at ?? c.requested_at;
          const badge = c.status === "done" ? "ok" : c.status === "failed" ? "bad" : "";
          return html`<tr
            class="clickable ${c.id === this.currentId ? "selected" : ""}"
            tabindex="0"
            data-capture-id=${c.id}
            @click=${open(c)}
            @keydown=${onRowKey(open(c))}
          >
            <td>${when ? fmtTime(when) : "–"}</td>
            <td class="inst" title=${c.instance}>${this.names.of(c.instance)}</td>
            <td class="num">${c.summary?.threads ?? "–"}</td>
            <td class="num">${c.summary?.serving_requests ?? "–"}</td>
            <td><span class="badge ${badge}">${t(`tx.status.${c.status}` as Key)}</span></td>
          </tr>`;
        },
      }),
    );
    this.recentPanel.setStatus(null);
  }

  dispose(): void {
    window.clearTimeout(this.pollTimer);
    this.polls.abort();
  }
}

/** Library, standard-library and agent frames are dimmed so the application's own stand out. */
function isLib(file: string): boolean {
  return /[\\/](site-packages|dist-packages|lib[\\/]python\d[\d.]*|bongsu[\\/]agent)[\\/]/.test(file);
}

function frame(f: StackFrame): TemplateResult {
  const lib = isLib(f.file);
  return html`<div class="frame ${lib ? "lib" : "app"}">
    <span class="fn">${f.function}</span>
    <span class="loc" title=${f.file}>${shortPath(f.file)}:${f.line}</span>
    ${f.code ? html`<code>${f.code}</code>` : nothing}
  </div>`;
}

function shortPath(file: string): string {
  const m = /[\\/](?:site-packages|dist-packages|lib[\\/]python\d[\d.]*)[\\/](.+)$/.exec(file);
  if (m) return m[1];
  const parts = file.split(/[\\/]/);
  return parts.slice(-3).join("/");
}

// ---- The analyzer's shapes (the server's `analysis` of a thread capture) ----------

/** A thread as the agent (or the server's parse of a JVM dump) writes it. */
type Thread = Omit<ThreadInfo, "request"> & {
  request: ThreadRequest | null;
  holds?: string[];
  waits_for?: string | null;
};

/** The request a thread serves: the agent's in-flight fields, or the capture's contract ones. */
type ThreadRequest = Partial<ActiveRequest> & { trace_id?: string; name?: string; route?: string; url?: string; elapsed_ms?: number };

type ThreadRef = components["schemas"]["ThreadRef"];

function arr<T>(v: unknown): T[] {
  return Array.isArray(v) ? (v as T[]) : [];
}

/** The agent's threads (a JVM dump's document is its text: its threads are in the analysis). */
function threadsOf(c: Capture): Thread[] {
  return arr<Thread>((c.payload as { threads?: unknown } | null | undefined)?.threads);
}

/** A JVM dump's own text (`jcmd Thread.print`), folded. */
function rawText(c: Capture, open: boolean): TemplateResult | typeof nothing {
  const text = (c.payload as { text?: unknown } | null | undefined)?.text;
  if (typeof text !== "string" || !text) return nothing;
  return html`<details class="raw" id="capture-raw" ?open=${open}><summary>${t("td.raw")}</summary><pre class="raw-json">${text}</pre></details>`;
}

const STATES = ["running", "waiting_lock", "sleeping", "io", "idle_pool", "waiting", "unknown", "waiting_io"];

function stateBadge(state: string): TemplateResult {
  const label = STATES.includes(state) ? t(`td.state.${state}` as Key) : state;
  return html`<span class="badge state-${state}">${label}</span>`;
}

/** The Diagnostics section's "Thread dumps" page: the selected service's thread captures,
 *  the analyzer of the one opened, and "Capture threads" for the selected instance. */
export function createThreadDumpPage(ctx: Ctx): PageView {
  const names = new InstanceNames().learn([], ctx.instanceNames);
  let dump: ThreadDump;
  const button = h("button", { class: "btn small primary", id: "capture-threads-now" }, t("tx.capture"));
  const sync = () => {
    const inst = ctx.state.instance;
    button.hidden = !ctx.state.service || !inst || !canWrite();
    (button as HTMLButtonElement).disabled = !!inst && dump.pendingFor(inst);
  };
  dump = new ThreadDump(ctx.state.extra.capture ?? "", names, sync);
  button.addEventListener("click", () => void dump.start(ctx, ctx.state.service, ctx.state.instance));
  const bar = h("div", { class: "dump-bar" }, h("span", { class: "muted" }, ctx.state.instance ? names.of(ctx.state.instance) : t("td.pickInstance")), button);
  const el = h("div", { class: "page diagnostics", id: "page-threads" }, bar, dump.el);
  sync();
  return {
    el,
    refresh: async (next, signal) => {
      names.learn([], next.instanceNames);
      await dump.refresh(next, signal);
    },
    dispose: () => dump.dispose(),
  };
}
