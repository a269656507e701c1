// Trace detail (F5): a waterfall of spans by service and instance, with the selected
// span's SQL, exception stack and attributes, and the trace's logs.
//
// Opened from the live Transactions table (`?start=<ms>`), the request may still be
// running: its trace is stored only when it finishes. The page then says so, watches
// the active requests, and opens the trace once a search finds it (a search, not the
// detail call, so waiting never shows up as a 404).

import { api, type ActiveRequest, type LogRecord, type Span } from "../api";
import { palette } from "../charts";
import { emptyState, errorBox, h, Panel } from "../dom";
import { fmtMs, fmtTime } from "../format";
import { t, tf } from "../i18n";
import type { Ctx, PageView } from "../page";
import { nameOf } from "./names";

/** A trace opened from an in-flight request: its service and start (epoch ms). */
export interface InFlight {
  service: string;
  startMs: number;
}

const WAIT_POLL_MS = 2000;
/** How long after the request ended a missing trace is still expected (agent flush + ingest). */
const STORE_GRACE_MS = 30_000;

interface Row {
  span: Span;
  depth: number;
}

export class TraceDetail implements PageView {
  readonly el: HTMLElement;
  private readonly waterfall: Panel;
  private readonly detail: Panel;
  private readonly logs: Panel;
  private readonly header = h("div", { class: "trace-header" });
  private loaded = false;
  private rows: Row[] = [];
  private logRecords: LogRecord[] = [];
  private selected = "";
  /** Set while the request runs or its trace is not stored yet. */
  private waiting: InFlight | null;
  private running: (ActiveRequest & { seenAt: number }) | null = null;
  private endedAt = 0;
  /** The in-flight request's own span: its trace is complete only once that is stored (a
   *  child span, such as its first SQL call, can be stored while the request still runs). */
  private expectSpan = "";
  private busy = false;
  private pollTimer: number | undefined;
  private tickTimer: number | undefined;
  private readonly polls = new AbortController();

  constructor(
    private readonly traceId: string,
    inFlight: InFlight | null = null,
  ) {
    this.waiting = inFlight && inFlight.service && Number.isFinite(inFlight.startMs) ? inFlight : null;
    this.waterfall = new Panel(t("tr.waterfall"), { id: "waterfall-panel" });
    this.detail = new Panel(t("tr.attributes"), { id: "span-panel" });
    this.logs = new Panel(t("tr.logs"), { id: "logs-panel" });
    this.detail.setStatus(emptyState(t("tr.selectSpan")));
    this.el = h(
      "div",
      { class: "page trace-detail", id: "page-trace", "data-trace-id": traceId },
      h("div", { class: "trace-title" }, h("a", { href: "#", class: "btn small", id: "trace-back" }, `← ${t("tr.back")}`), this.header),
      h("div", { class: "row trace-row" }, this.waterfall.el, this.detail.el),
      this.logs.el,
    );
  }

  async refresh(ctx: Ctx, signal: AbortSignal): Promise<void> {
    const back = this.el.querySelector<HTMLAnchorElement>("#trace-back");
    if (back) back.href = ctx.href({ page: "traces", sub: "" });
    if (this.loaded || this.busy) return; // a finished trace does not change; no need to poll it
    this.busy = true;
    try {
      if (this.waiting && !(await this.stored(signal))) {
        window.clearTimeout(this.pollTimer);
        if (this.waiting) this.pollTimer = window.setTimeout(() => void this.refresh(ctx, this.polls.signal).catch(() => undefined), WAIT_POLL_MS);
        return;
      }
      await this.load(ctx, signal);
    } finally {
      this.busy = false;
    }
  }

  /** Whether the trace of an in-flight request is stored now; shows why not otherwise. */
  private async stored(signal: AbortSignal): Promise<boolean> {
    const w = this.waiting!;
    let active: ActiveRequest[];
    let found: boolean;
    try {
      active = (await api.activeRequests(w.service, undefined, signal)).requests.filter((r) => r.trace_id === this.traceId);
      // start_unix_nano loses sub-µs digits in a JS number: search a few ms around it.
      const from = Math.floor(w.startMs) - 1;
      found =
        !active.length &&
        (await api.traces({ service: w.service, from, to: from + 3, limit: 100 }, signal)).traces.some((x) => x.trace_id === this.traceId);
    } catch (err) {
      if ((err as Error).name === "AbortError") throw err;
      this.waterfall.setStatus(errorBox(err));
      return false;
    }
    this.header.replaceChildren(h("h2", null, t("tr.detail")), h("div", { class: "meta" }, h("span", { class: "mono" }, this.traceId)));
    this.logs.el.hidden = true;
    this.detail.el.hidden = true;
    if (!active.length) {
      window.clearInterval(this.tickTimer);
      this.running = null;
    }
    if (found) {
      this.waiting = null;
      return true;
    }
    if (active.length) {
      const longest = active.sort((a, b) => b.elapsed_ms - a.elapsed_ms)[0];
      this.running = { ...longest, seenAt: performance.now() };
      this.expectSpan = longest.span_id ?? this.expectSpan;
      this.endedAt = 0;
      this.renderRunning();
      window.clearInterval(this.tickTimer);
      this.tickTimer = window.setInterval(() => this.renderRunning(), 1000);
      return false;
    }
    this.endedAt ||= Date.now();
    const gaveUp = Date.now() - this.endedAt > STORE_GRACE_MS;
    if (gaveUp) this.waiting = null;
    this.waterfall.setStatus(
      gaveUp
        ? h("div", { class: "empty", id: "trace-waiting", "data-state": "not-stored" }, h("strong", null, t("tr.notStored")))
        : h("div", { class: "loading", id: "trace-waiting", "data-state": "finishing" }, h("span", { class: "spinner" }), t("tr.finishing")),
    );
    return false;
  }

  private renderRunning(): void {
    const r = this.running;
    if (!r) return;
    const elapsed = r.elapsed_ms + (performance.now() - r.seenAt);
    this.waterfall.setStatus(
      h(
        "div",
        { class: "empty running", id: "trace-waiting", "data-state": "running", "data-elapsed": Math.round(elapsed) },
        h("strong", null, h("span", { class: "spinner" }), t("tr.running")),
        h(
          "p",
          null,
          tf("tr.runningBody", {
            elapsed: fmtMs(elapsed),
            request: `${r.method} ${r.url}`,
            service: r.service,
            instance: nameOf(r),
            thread: r.thread_name || String(r.thread_id ?? "?"),
          }),
        ),
      ),
    );
  }

  private async load(ctx: Ctx, signal: AbortSignal): Promise<void> {
    let resp: { spans: Span[]; logs: LogRecord[] };
    try {
      resp = await api.trace(this.traceId, signal);
    } catch (err) {
      if ((err as Error).name === "AbortError") throw err;
      this.waterfall.setStatus(errorBox(err, () => void this.refresh(ctx, this.polls.signal).catch(() => undefined)));
      this.logs.setStatus(null);
      this.logs.el.hidden = true;
      this.detail.el.hidden = true;
      return;
    }
    if (this.expectSpan && !resp.spans.some((sp) => sp.span_id === this.expectSpan)) {
      this.endedAt ||= Date.now();
      if (Date.now() - this.endedAt <= STORE_GRACE_MS) {
        // Part of the trace is stored, not yet the request's own span: look again shortly.
        this.waterfall.setStatus(h("div", { class: "loading", id: "trace-waiting", "data-state": "finishing" }, h("span", { class: "spinner" }), t("tr.finishing")));
        window.clearTimeout(this.pollTimer);
        this.pollTimer = window.setTimeout(() => void this.refresh(ctx, this.polls.signal).catch(() => undefined), WAIT_POLL_MS);
        return;
      }
    }
    this.loaded = true;
    this.logs.el.hidden = false;
    this.detail.el.hidden = false;
    this.rows = orderSpans(resp.spans);
    this.logRecords = resp.logs ?? [];
    this.renderWaterfall();
    this.renderLogs();
    const firstError = this.rows.find((r) => isError(r.span));
    const pick = firstError ?? this.rows[0];
    if (pick) this.select(pick.span.span_id);
  }

  private renderWaterfall(): void {
    if (!this.rows.length) {
      this.waterfall.setStatus(emptyState(t("tr.none")));
      return;
    }
    const spans = this.rows.map((r) => r.span);
    const t0 = Math.min(...spans.map((s) => s.start));
    const t1 = Math.max(...spans.map((s) => s.start + s.duration_ms));
    const total = Math.max(0.001, t1 - t0);
    const services = [...new Set(spans.map((s) => s.service))];
    const p = palette();
    const colorOf = (svc: string) => p.series[services.indexOf(svc) % p.series.length];
    const root = this.rows[0].span;
    this.header.replaceChildren(
      h("h2", null, `${t("tr.detail")} ${root.name}`),
      h(
        "div",
        { class: "meta" },
        h("span", { class: "mono" }, this.traceId),
        h("span", null, fmtTime(t0, true)),
        h("span", null, `${t("common.duration")} ${fmtMs(total)}`),
        h("span", null, `${t("tr.spans")} ${spans.length}`),
        services.map((s) => h("span", { class: "chip" }, h("i", { style: `background:${colorOf(s)}` }), s)),
      ),
    );
    const ticks = h("div", { class: "wf-ticks" }, [0, 0.25, 0.5, 0.75, 1].map((f) => h("span", { style: `left:${f * 100}%` }, fmtMs(total * f))));
    const list = h("div", { class: "waterfall", id: "waterfall" }, h("div", { class: "wf-row wf-head" }, h("div", { class: "wf-label" }, `${t("common.service")} · ${t("common.instance")} · ${t("common.name")}`), h("div", { class: "wf-track" }, ticks)));
    for (const r of this.rows) {
      const s = r.span;
      const left = ((s.start - t0) / total) * 100;
      const width = Math.max(0.3, (s.duration_ms / total) * 100);
      const err = isError(s);
      const sql = s.attributes?.["db.statement"] ?? s.attributes?.["db.query.text"];
      list.append(
        h(
          "div",
          { class: `wf-row ${err ? "err" : ""}`, "data-span-id": s.span_id, onclick: () => this.select(s.span_id) },
          h(
            "div",
            { class: "wf-label", style: `padding-left:${8 + r.depth * 14}px`, title: `${s.service} · ${nameOf(s)} (${s.instance}) · ${s.name}` },
            h("i", { class: "svc-dot", style: `background:${colorOf(s.service)}` }),
            h("span", { class: "svc" }, s.service),
            h("span", { class: "name" }, s.name),
            h("span", { class: "inst" }, nameOf(s)),
            sql ? h("span", { class: "badge" }, "SQL") : null,
            err ? h("span", { class: "badge bad" }, "!") : null,
          ),
          h(
            "div",
            { class: "wf-track" },
            h("div", { class: "wf-bar", style: `left:${left}%;width:${width}%;background:${err ? p.bad : colorOf(s.service)}` }),
            durLabel(left, width, fmtMs(s.duration_ms)),
          ),
        ),
      );
    }
    this.waterfall.body.replaceChildren(list);
    this.waterfall.setStatus(null);
  }

  private select(spanId: string): void {
    this.selected = spanId;
    for (const el of this.el.querySelectorAll<HTMLElement>(".wf-row[data-span-id]")) {
      el.classList.toggle("selected", el.dataset.spanId === spanId);
    }
    const s = this.rows.find((r) => r.span.span_id === spanId)?.span;
    if (!s) return;
    const attrs = s.attributes ?? {};
    const sql = attrs["db.statement"] ?? attrs["db.query.text"];
    // Exceptions arrive as span events; some stores flatten them into the attributes.
    const exc = { ...attrs, ...(s.events ?? []).find((e) => e.name === "exception")?.attributes };
    const excType = exc["exception.type"];
    const excMsg = exc["exception.message"] ?? (isError(s) ? s.status_message : undefined);
    const stack = exc["exception.stacktrace"];
    const body: HTMLElement[] = [
      h(
        "dl",
        { class: "kv" },
        h("dt", null, t("common.name")), h("dd", null, s.name),
        h("dt", null, t("common.service")), h("dd", null, s.service),
        h("dt", null, t("common.instance")), h("dd", { class: "inst", title: s.instance }, nameOf(s)),
        h("dt", null, t("tr.kind")), h("dd", null, s.kind),
        h("dt", null, t("common.duration")), h("dd", null, fmtMs(s.duration_ms)),
        h("dt", null, t("common.status")), h("dd", null, h("span", { class: `badge ${isError(s) ? "bad" : "ok"}` }, s.status)),
      ),
    ];
    if (sql) body.push(h("h4", null, t("tr.sql")), h("pre", { class: "code sql", id: "span-sql" }, String(sql)));
    if (excType || excMsg || stack) {
      body.push(
        h("h4", { class: "bad-text" }, t("tr.exception")),
        h("pre", { class: "code stack", id: "span-exception" }, [excType, excMsg].filter(Boolean).join(": ") + (stack ? `\n\n${String(stack)}` : "")),
      );
    }
    const others = (s.events ?? []).filter((e) => e.name !== "exception");
    if (others.length) {
      body.push(
        h("h4", null, t("tr.events")),
        h(
          "table",
          { class: "grid attrs", id: "span-events" },
          h("tbody", null, others.map((e) => h("tr", null, h("td", null, e.ts ? fmtTime(e.ts) : ""), h("td", { class: "mono" }, e.name), h("td", { class: "mono wrap" }, e.attributes ? fmtAttr(e.attributes) : "")))),
        ),
      );
    }
    const keys = Object.keys(attrs).sort();
    if (keys.length) {
      body.push(
        h("h4", null, t("tr.attributes")),
        h(
          "table",
          { class: "grid attrs", id: "span-attributes" },
          h("tbody", null, keys.map((k) => h("tr", null, h("td", { class: "mono" }, k), h("td", { class: "mono wrap" }, fmtAttr(attrs[k]))))),
        ),
      );
    }
    this.detail.setTitle(`${t("tr.attributes")} · ${s.name}`);
    this.detail.body.replaceChildren(...body);
    this.detail.setStatus(null);
    for (const el of this.logs.el.querySelectorAll<HTMLElement>("tr[data-span-id]")) {
      el.classList.toggle("selected", el.dataset.spanId === this.selected);
    }
  }

  private renderLogs(): void {
    const logs = [...this.logRecords].sort((a, b) => Number(a.ts ?? 0) - Number(b.ts ?? 0));
    this.logs.setTitle(`${t("tr.logs")} (${logs.length})`);
    if (!logs.length) {
      this.logs.setStatus(emptyState(t("tr.noLogs")));
      return;
    }
    const tbody = h("tbody");
    for (const l of logs) {
      const sev = String(l.severity ?? l.severity_text ?? "");
      tbody.append(
        h(
          "tr",
          { "data-span-id": String(l.span_id ?? ""), class: /error|fatal|crit/i.test(sev) ? "err" : "", onclick: () => l.span_id && this.select(String(l.span_id)) },
          h("td", null, l.ts ? fmtTime(Number(l.ts)) : ""),
          h("td", null, h("span", { class: `sev sev-${sev.toLowerCase()}` }, sev)),
          h("td", null, String(l.service ?? "")),
          h("td", { class: "mono wrap" }, String(l.body ?? l.message ?? "")),
        ),
      );
    }
    this.logs.body.replaceChildren(
      h(
        "div",
        { class: "table-wrap" },
        h(
          "table",
          { class: "grid", id: "logs-table" },
          h("thead", null, h("tr", null, [t("common.time"), t("tr.severity"), t("common.service"), t("tr.message")].map((c) => h("th", null, c)))),
          tbody,
        ),
      ),
    );
    this.logs.setStatus(null);
  }

  dispose(): void {
    window.clearTimeout(this.pollTimer);
    window.clearInterval(this.tickTimer);
    this.polls.abort();
  }
}

/** The duration after the bar, else before it, else inside it: never off the track. */
function durLabel(left: number, width: number, text: string): HTMLElement {
  if (left + width <= 85) return h("span", { class: "wf-dur", style: `left:${left + width}%;margin-left:6px` }, text);
  if (left >= 15) return h("span", { class: "wf-dur", style: `right:${100 - left}%;margin-right:6px` }, text);
  return h("span", { class: "wf-dur inside", style: `right:${100 - left - width}%;margin-right:6px` }, text);
}

function isError(s: Span): boolean {
  return s.error ?? /error/i.test(s.status ?? "");
}

function fmtAttr(v: unknown): string {
  return typeof v === "string" ? v : JSON.stringify(v);
}

/** Depth-first from the roots, children by start time; orphans become roots. */
function orderSpans(spans: Span[]): Row[] {
  const ids = new Set(spans.map((s) => s.span_id));
  const children = new Map<string, Span[]>();
  const roots: Span[] = [];
  for (const s of spans) {
    if (s.parent_span_id && ids.has(s.parent_span_id) && s.parent_span_id !== s.span_id) {
      const list = children.get(s.parent_span_id) ?? [];
      list.push(s);
      children.set(s.parent_span_id, list);
    } else {
      roots.push(s);
    }
  }
  const byStart = (a: Span, b: Span) => a.start - b.start;
  const out: Row[] = [];
  const seen = new Set<string>();
  const walk = (s: Span, depth: number) => {
    if (seen.has(s.span_id)) return;
    seen.add(s.span_id);
    out.push({ span: s, depth });
    for (const c of (children.get(s.span_id) ?? []).sort(byStart)) walk(c, depth + 1);
  };
  for (const r of roots.sort(byStart)) walk(r, 0);
  return out;
}
