// Thread captures (F5 diagnostics): ask an instance's agent what every thread is doing,
// wait for its answer (the agent polls every few seconds) and show each thread's state,
// stack and the request it serves. Captures are stored by the server, so the list of
// recent ones outlives the process; `?capture=<id>` in the URL opens one.

import type { TemplateResult } from "lit-html";
import { api, ApiError, type ActiveRequest, type Capture, type StackFrame, type ThreadInfo } from "../api";
import { emptyState, errorBox, h, html, loading, nothing, Panel, repeat, view } from "../dom";
import { fmtMs, fmtTime } from "../format";
import { t, tf, type Key } from "../i18n";
import type { Ctx } from "../page";
import type { ViewState } from "../state";
import type { InstanceNames } from "./names";
import { onRowKey, table } from "./table";

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
    const threads = [...(c.payload?.threads ?? [])].sort(
      (a, b) => Number(!!b.request) - Number(!!a.request) || (b.request?.elapsed_ms ?? 0) - (a.request?.elapsed_ms ?? 0) || a.name.localeCompare(b.name),
    );
    const s = c.summary ?? {};
    const meta = html`<dl class="kv">
      <dt>${t("common.service")}</dt><dd>${c.service}</dd>
      <dt>${t("common.instance")}</dt><dd class="inst" title=${c.instance}>${name}</dd>
      <dt>${t("tx.hostPid")}</dt><dd>${s.host ? `${s.host} · ${s.pid ?? "?"}` : "–"}</dd>
      <dt>${t("tx.capturedAt")}</dt><dd>${c.captured_at ? fmtTime(c.captured_at, true) : "–"}</dd>
      <dt>${t("tx.threads")}</dt><dd id="capture-summary">${tf("tx.dumpSummary", { threads: threads.length, serving: threads.filter((x) => x.request).length })}</dd>
    </dl>`;
    const body =
      c.status === "failed"
        ? html`${meta}<div class="api-error" role="alert"><strong>${t("tx.dumpFailed")}</strong><span>${s.error || ""}</span></div>`
        : html`${meta}<div class="threads" id="capture-threads">${repeat(threads, (th) => String(th.id), (th) => this.thread(th))}</div>`;
    view(this.dumpPanel.body, body);
    this.dumpPanel.setStatus(null);
  }

  /** One thread, open when it serves a request until the user opens or closes it. */
  private thread(th: ThreadInfo): TemplateResult {
    const r = th.request;
    const stateKey = `tx.state.${th.state}` as Key;
    const stateLabel = ["running", "waiting", "waiting_io"].includes(th.state) ? t(stateKey) : th.state;
    const frames = [...(th.stack ?? [])].reverse(); // innermost first, as thread dumps read
    const service = this.current?.service ?? "";
    const toggled = (e: Event) => this.opened.set(th.id, (e.currentTarget as HTMLDetailsElement).open);
    return html`<details
      class="thread ${r ? "serving" : ""}"
      data-thread-id=${th.id}
      data-state=${th.state}
      .open=${this.opened.get(th.id) ?? !!r}
      @toggle=${toggled}
    >
      <summary>
        <span class="thread-name">${th.name || String(th.id)}</span>
        <span class="badge state-${th.state}">${stateLabel}</span>
        ${th.daemon ? html`<span class="badge">${t("tx.daemon")}</span>` : nothing}
        ${r
          ? html`<span class="thread-request"
              >${t("tx.serving")}: <span class="mono">${r.method} ${r.url}</span> · ${fmtMs(r.elapsed_ms)} ·
              ${this.ctx ? html`<a class="mono" href=${this.ctx.href(traceLink({ ...r, service }))}>${r.trace_id.slice(0, 16)}</a>` : nothing}</span
            >`
          : html`<span class="muted">${t("tx.noRequest")}</span>`}
      </summary>
      ${frames.length
        ? html`<div class="frames" aria-label=${t("tx.stack")}>${frames.map((f) => frame(f))}</div>`
        : html`<div class="muted">${t("tx.noStack")}</div>`}
    </details>`;
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
function frame(f: StackFrame): TemplateResult {
  const lib = /[\\/](site-packages|dist-packages|lib[\\/]python\d[\d.]*|bongsu[\\/]agent)[\\/]/.test(f.file);
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
