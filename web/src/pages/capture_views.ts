// What one stored capture shows (docs/captures.md is the contract): the network view
// (sockets by state, CLOSE_WAIT / TIME_WAIT pile-ups flagged, per remote endpoint, listen
// ports), the open-files view (count against the limit, by type, every descriptor), the
// processes view (CPU and memory per process) and one memory capture's figures. Also the
// pieces every Diagnostics page shares: the captures API calls the console makes, kind
// and trigger labels.

import type { TemplateResult } from "lit-html";
import { get, post } from "../api";
import type { components, Ok } from "../api/types";
import type { StackFrame } from "../api";
import { html, nothing } from "../dom";
import { fmtBytes, fmtNum, fmtPct, fmtTime } from "../format";
import { t, tf, type Key } from "../i18n";
import { table } from "./table";

/** Kinds an agent captures on request, in the order the console offers them. */
export const KINDS = ["threads", "memory", "network", "files", "processes"] as const;
export type Kind = (typeof KINDS)[number];

type S = components["schemas"];
export type Trigger = S["CaptureTrigger"];
export type ThreadsAnalysis = S["ThreadsAnalysis"];
export type MemoryAnalysis = S["MemoryAnalysis"];
export type NetworkAnalysis = S["NetworkAnalysis"];
export type FilesAnalysis = S["FilesAnalysis"];
export type CaptureComparison = Ok<"/api/v1/captures/compare">;
export type MemoryComparison = S["MemoryComparison"];
export type ProcessesComparison = S["ProcessesComparison"];

type GenCapture = S["Capture"];

/** A capture as the API sends it; `summary` and `payload` (the document) have the kind's
 *  shape (docs/captures.md), `analysis` the kind's analyzer's (read it with `analysisOf`). */
export type AnyCapture = Omit<GenCapture, "summary" | "payload"> & {
  summary?: Record<string, unknown> | null;
  payload?: Record<string, unknown> | null;
};

interface Analyses {
  threads: ThreadsAnalysis;
  memory: MemoryAnalysis;
  network: NetworkAnalysis;
  files: FilesAnalysis;
}

/** The capture's analysis as its kind's model (the API's union has no tag: the kind is it). */
export function analysisOf<K extends keyof Analyses>(c: Pick<GenCapture, "kind" | "analysis">, kind: K): Analyses[K] | null {
  return c.kind === kind && c.analysis ? (c.analysis as Analyses[K]) : null;
}

export interface ListParams {
  service?: string;
  instance?: string;
  kind?: string;
  from?: number;
  to?: number;
  limit?: number;
}

export const diag = {
  list: (p: ListParams, s?: AbortSignal) => get<{ captures: AnyCapture[] }>("/captures", { ...p }, s),
  one: (id: string, s?: AbortSignal) => get<AnyCapture>(`/captures/${encodeURIComponent(id)}`, {}, s),
  /** A pod's capture through the Kubernetes exec API (no agent: jcmd for threads and
   *  memory, /proc for the rest); the server takes and stores it before it answers. */
  requestPod: (p: { cluster: string; namespace: string; pod: string; container?: string }, kind: string, s?: AbortSignal) =>
    post<{ id: string; status: string }>("/captures", { ...p, kind }, s),
  /** `windowS`: memory only, trace allocations for that many seconds first (0..60). */
  request: (service: string, instance: string, kind: string, windowS = 0, s?: AbortSignal) =>
    post<{ id: string; status: string }>("/captures", { service, instance, kind, ...(kind === "memory" && windowS > 0 ? { args: { window_s: windowS } } : {}) }, s),
  compare: (base: string, other: string, s?: AbortSignal) => get<CaptureComparison>("/captures/compare", { base, other }, s),
};

/** The capture's trigger (null for a pending one). */
export function triggerOf(c: Pick<GenCapture, "trigger">): Trigger | null {
  return c.trigger ?? null;
}

export function kindLabel(kind: string): string {
  return (KINDS as readonly string[]).includes(kind) ? t(`dg.kind.${kind}` as Key) : kind;
}

export function triggerBadge(tr: Trigger | null): TemplateResult | typeof nothing {
  if (!tr) return nothing;
  const label = t(`dg.trigger.${tr.reason}` as Key);
  const cls = tr.reason === "request" ? "" : tr.reason === "sigterm" || tr.reason === "memory_near_limit" ? "bad" : "warn";
  return html`<span class="badge trigger ${cls}" data-trigger=${tr.reason} title=${tr.detail || ""}>${label}</span>`;
}

export function num(v: unknown): number | null {
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

function arr<T>(v: unknown): T[] {
  return Array.isArray(v) ? (v as T[]) : [];
}

function rec(v: unknown): Record<string, unknown> {
  return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** One line about a stored capture, from its summary (the list carries no payload). */
export function summaryText(c: AnyCapture): string {
  const s = rec(c.summary);
  if (c.status === "failed") return String(s.error ?? t("dg.failed"));
  if (c.headline) return c.headline; // the analyzer's one line
  switch (c.kind) {
    case "threads": {
      const n = num(s.threads) ?? num(s.thread_count);
      const deadlocks = num(s.deadlocks);
      const base = n === null ? "" : tf("dg.sum.threads", { threads: n, serving: num(s.serving_requests) ?? 0 });
      return deadlocks ? `${base} · ${tf("dg.sum.deadlocks", { n: deadlocks })}` : base;
    }
    case "memory": {
      const rss = num(s.rss_bytes);
      const limit = num(s.limit_bytes);
      return rss === null ? "" : limit ? `RSS ${fmtBytes(rss)} / ${fmtBytes(limit)}` : `RSS ${fmtBytes(rss)}`;
    }
    case "network": {
      const n = num(s.sockets);
      return n === null ? "" : tf("dg.sum.sockets", { n, flagged: num(s.close_wait) ?? 0 });
    }
    case "files": {
      const n = num(s.count) ?? num(s.fds);
      return n === null ? "" : tf("dg.sum.files", { n, limit: num(s.limit_soft) ?? "–" });
    }
    case "processes": {
      const n = num(s.processes);
      return n === null ? "" : tf("dg.sum.processes", { n });
    }
  }
  return "";
}

// ---- Network ----------------------------------------------------------------------

interface Sock {
  proto: string;
  state: string;
  local: string;
  remote: string;
  inode?: number;
}

/** States that pile up when a peer or the app forgets to close (flagged from this many). */
const PILE_UP: Record<string, number> = { CLOSE_WAIT: 1, TIME_WAIT: 100 };

/** Sockets per endpoint: the analysis's (inbound ones grouped by peer host and our port),
 *  else counted here by remote address. */
function endpoints(payload: Record<string, unknown>, analysis: NetworkAnalysis | null): { remote: string; direction: string; total: number; states: Record<string, number> }[] {
  const by = new Map<string, { remote: string; direction: string; total: number; states: Record<string, number> }>();
  const add = (remote: string, direction: string, state: string, n: number) => {
    const e = by.get(remote) ?? { remote, direction, total: 0, states: {} };
    e.states[state] = (e.states[state] ?? 0) + n;
    e.total += n;
    by.set(remote, e);
  };
  if (analysis) {
    for (const e of analysis.endpoints) add(e.endpoint, e.direction, e.state, e.count);
  } else {
    for (const s of arr<Sock>(payload.sockets)) {
      if (!s.remote || s.state === "LISTEN" || s.proto === "unix") continue;
      add(s.remote, "", s.state, 1);
    }
  }
  return [...by.values()].sort((a, b) => b.total - a.total || a.remote.localeCompare(b.remote));
}

function stateChips(states: Record<string, number>): TemplateResult[] {
  return Object.entries(states)
    .sort((a, b) => b[1] - a[1])
    .map(([st, n]) => html`<span class="chip ${st === "CLOSE_WAIT" ? "flag" : ""}" data-state=${st} data-count=${n}>${st} <b>${n}</b></span>`);
}

export function networkView(c: AnyCapture): TemplateResult {
  const p = rec(c.payload);
  const a = analysisOf(c, "network");
  const byState = rec(p.by_state) as Record<string, number>;
  const socks = arr<Sock>(p.sockets);
  const listen = arr<{ proto: string; local: string }>(p.listen);
  const remotes = endpoints(p, a);
  // The analyzer's flags (each with its threshold); without an analysis, any CLOSE_WAIT.
  const flags = a
    ? a.flags.map((f) => f.message)
    : Object.entries(byState)
        .filter(([st, n]) => n >= (PILE_UP[st] ?? Infinity))
        .map(([st, n]) => tf(st === "CLOSE_WAIT" ? "dg.net.closeWait" : "dg.net.timeWait", { n }));
  return html`<div class="capture-view" id="network-view">
    <h4>${t("dg.net.byState")}</h4>
    <div class="label-chips" id="net-by-state">${stateChips(byState)}</div>
    ${flags.length ? html`<div class="warn-text" id="net-flags" role="note">${flags.map((f) => html`<div class="flag">⚠ ${f}</div>`)}</div>` : nothing}
    <h4>${t("dg.net.listen")}</h4>
    ${listen.length
      ? html`<div class="label-chips" id="net-listen">${listen.map((l) => html`<span class="chip mono">${l.proto} ${l.local}</span>`)}</div>`
      : html`<p class="muted">${t("dg.net.noListen")}</p>`}
    <h4>${t("dg.net.endpoints")}</h4>
    ${remotes.length
      ? table({
          id: "net-endpoints",
          head: [t("dg.net.remote"), t("dg.net.direction"), t("dg.net.sockets"), t("dg.net.states")],
          rows: remotes,
          key: (e) => e.remote,
          row: (e) => html`<tr data-remote=${e.remote} data-total=${e.total}>
            <td class="mono">${e.remote}</td><td>${e.direction ? t(`dg.net.dir.${e.direction}` as Key) : "–"}</td>
            <td class="num">${e.total}</td><td>${stateChips(e.states)}</td>
          </tr>`,
        })
      : html`<p class="muted">${t("dg.net.noRemote")}</p>`}
    <h4>${tf("dg.net.all", { n: socks.length })}</h4>
    ${table({
      id: "net-sockets",
      head: [t("dg.net.proto"), t("dg.net.state"), t("dg.net.local"), t("dg.net.remote"), "inode"],
      rows: socks,
      key: (s) => `${s.proto} ${s.local} ${s.remote} ${s.inode ?? ""}`,
      row: (s) => html`<tr data-state=${s.state} class=${(PILE_UP[s.state] ?? Infinity) <= 1 ? "flag" : ""}>
        <td>${s.proto}</td><td>${s.state}</td><td class="mono">${s.local}</td><td class="mono">${s.remote || "–"}</td>
        <td class="num">${s.inode ?? "–"}</td>
      </tr>`,
    })}
  </div>`;
}

// ---- Open files -------------------------------------------------------------------

interface Fd {
  fd: number;
  type: string;
  path: string;
}

export function filesView(c: AnyCapture): TemplateResult {
  const p = rec(c.payload);
  const a = analysisOf(c, "files");
  const flags = a?.flags.map((f) => f.message) ?? [];
  const dirs = a?.top_directories ?? [];
  const fds = arr<Fd>(p.fds);
  const count = num(p.count) ?? fds.length;
  const soft = num(p.limit_soft);
  const hard = num(p.limit_hard);
  const byType = new Map<string, number>();
  for (const f of fds) byType.set(f.type, (byType.get(f.type) ?? 0) + 1);
  const frac = soft ? count / soft : null;
  const level = frac === null ? "none" : frac >= 0.9 ? "bad" : frac >= 0.7 ? "warn" : "ok";
  return html`<div class="capture-view" id="files-view">
    <div class="meter meter-${level}" id="files-meter" data-count=${count} data-limit=${soft ?? ""}>
      <div class="meter-bar"><i style="width:${Math.min(100, (frac ?? 0) * 100)}%"></i></div>
      <span class="meter-text">${tf("dg.files.of", { n: fmtNum(count), soft: soft === null ? "–" : fmtNum(soft), hard: hard === null ? "–" : fmtNum(hard) })}
        ${frac === null ? nothing : html` · ${fmtPct(frac)}`}</span>
    </div>
    ${flags.length ? html`<div class="warn-text" id="files-flags" role="note">${flags.map((f) => html`<div>⚠ ${f}</div>`)}</div>` : nothing}
    <h4>${t("dg.files.byType")}</h4>
    <div class="label-chips" id="files-by-type">
      ${[...byType.entries()].sort((a, b) => b[1] - a[1]).map(([ty, n]) => html`<span class="chip" data-type=${ty}>${ty} <b>${n}</b></span>`)}
    </div>
    ${dirs.length
      ? html`<h4>${t("dg.files.dirs")}</h4>
          <div class="label-chips" id="files-dirs">${dirs.map((d) => html`<span class="chip mono">${d.directory} <b>${d.count}</b></span>`)}</div>`
      : nothing}
    <h4>${tf("dg.files.all", { n: fds.length })}</h4>
    ${table({
      id: "files-table",
      head: ["fd", t("dg.files.type"), t("dg.files.path")],
      rows: fds,
      key: (f) => String(f.fd),
      row: (f) => html`<tr data-fd=${f.fd} data-type=${f.type}><td class="num">${f.fd}</td><td>${f.type}</td><td class="mono wrap">${f.path}</td></tr>`,
    })}
  </div>`;
}

// ---- Processes --------------------------------------------------------------------

interface Proc {
  pid: number;
  ppid: number;
  name: string;
  cmdline: string;
  state: string;
  cpu_seconds: number;
  rss_bytes: number;
  threads: number;
  start_time_s: number;
}

export function processesView(c: AnyCapture): TemplateResult {
  const p = rec(c.payload);
  const uptime = num(p.uptime_s);
  const procs = [...arr<Proc>(p.processes)].sort((a, b) => b.cpu_seconds - a.cpu_seconds || b.rss_bytes - a.rss_bytes);
  const rss = procs.reduce((sum, x) => sum + (x.rss_bytes || 0), 0);
  // Average CPU since the process started: its CPU seconds over the time it has run.
  const cpuShare = (x: Proc) => (uptime !== null && uptime > x.start_time_s ? x.cpu_seconds / (uptime - x.start_time_s) : null);
  return html`<div class="capture-view" id="processes-view">
    <p id="processes-total">${tf("dg.proc.total", { n: procs.length, rss: fmtBytes(rss) })}</p>
    ${table({
      id: "processes-table",
      head: ["PID", "PPID", t("dg.proc.name"), t("dg.proc.state"), t("dg.proc.cpu"), t("dg.proc.cpuAvg"), "RSS", t("dg.proc.threads"), t("dg.proc.cmdline")],
      rows: procs,
      key: (x) => String(x.pid),
      row: (x) => html`<tr data-pid=${x.pid}>
        <td class="num">${x.pid}</td><td class="num">${x.ppid}</td><td>${x.name}</td><td>${x.state}</td>
        <td class="num cpu">${fmtNum(x.cpu_seconds, 2)} s</td><td class="num">${fmtPct(cpuShare(x))}</td>
        <td class="num rss">${fmtBytes(x.rss_bytes)}</td><td class="num">${x.threads}</td>
        <td class="mono wrap" title=${x.cmdline}>${x.cmdline.length > 120 ? `${x.cmdline.slice(0, 120)}…` : x.cmdline}</td>
      </tr>`,
    })}
  </div>`;
}

/** CPU and memory movers since an earlier processes capture of the same instance. */
export function processesCompareView(base: AnyCapture, c: ProcessesComparison): TemplateResult {
  const mover = (id: string, rows: ProcessesComparison["cpu_movers"], cpu: boolean) =>
    table({
      id,
      head: ["PID", t("dg.proc.name"), cpu ? t("dg.proc.cpuShare") : t("dg.proc.rssDelta"), cpu ? t("dg.proc.cpu") : "RSS", cpu ? "RSS" : t("dg.proc.cpu")],
      rows,
      key: (m) => String(m.pid),
      row: (m) => html`<tr data-pid=${String(m.pid)}>
        <td class="num">${String(m.pid)}</td><td>${m.name}</td>
        ${cpu
          ? html`<td class="num grew">${m.cpu_percent === null ? "–" : `${fmtNum(m.cpu_percent, 1)} %`}</td><td class="num">+${fmtNum(m.cpu_seconds_delta, 2)} s</td><td class="num">${fmtBytes(m.rss_bytes)}</td>`
          : html`<td class="num grew">${m.rss_delta_bytes >= 0 ? "+" : "−"}${fmtBytes(Math.abs(m.rss_delta_bytes))}</td><td class="num">${fmtBytes(m.rss_bytes)}</td><td class="num">+${fmtNum(m.cpu_seconds_delta, 2)} s</td>`}
      </tr>`,
    });
  const names = (rows: ProcessesComparison["started"]) => rows.map((p) => `${p.name} (${String(p.pid)})`).join(", ");
  return html`<div class="capture-view" id="processes-compare" data-base=${base.id}>
    <h4>${tf("dg.proc.since", { when: base.captured_at ? fmtTime(base.captured_at, true) : base.id })}</h4>
    <p class="headline" id="processes-compare-headline">${c.headline}</p>
    ${c.cpu_movers.length ? html`<h4>${t("dg.proc.cpuMovers")}</h4>${mover("processes-cpu-movers", c.cpu_movers, true)}` : nothing}
    ${c.rss_movers.length ? html`<h4>${t("dg.proc.rssMovers")}</h4>${mover("processes-rss-movers", c.rss_movers, false)}` : nothing}
    ${c.started.length ? html`<p><b>${t("dg.proc.started")}</b> ${names(c.started)}</p>` : nothing}
    ${c.gone.length ? html`<p><b>${t("dg.proc.gone")}</b> ${names(c.gone)}</p>` : nothing}
  </div>`;
}

// ---- One memory capture -----------------------------------------------------------

interface TypeRow {
  type: string;
  count: number;
  bytes: number;
}

interface Site {
  site: string;
  bytes: number;
  count: number;
  stack?: StackFrame[];
}

export function memoryView(c: AnyCapture): TemplateResult {
  const p = rec(c.payload);
  const proc = rec(p.process);
  const cont = p.container ? rec(p.container) : null;
  const tm = p.tracemalloc ? rec(p.tracemalloc) : null;
  const types = arr<TypeRow>(p.types);
  const sites = arr<Site>(tm?.top);
  const limit = cont ? num(cont.limit_bytes) : null;
  const usage = cont ? num(cont.usage_bytes) : null;
  return html`<div class="capture-view" id="memory-view">
    <dl class="kv">
      <dt>RSS</dt><dd id="mem-rss">${fmtBytes(num(proc.rss_bytes))}</dd>
      <dt>${t("dg.mem.container")}</dt>
      <dd id="mem-container">${cont
        ? html`${fmtBytes(usage)} / ${limit === null ? t("dg.mem.unlimited") : fmtBytes(limit)}${limit && usage !== null ? ` · ${fmtPct(usage / limit)}` : ""} (cgroup ${cont.cgroup ?? "?"}, OOM kills ${cont.oom_kills ?? 0})`
        : t("dg.mem.noCgroup")}</dd>
      <dt>${t("dg.mem.gcObjects")}</dt><dd>${fmtNum(num(rec(p.gc).objects))}</dd>
      <dt>tracemalloc</dt><dd>${tm ? tf("dg.mem.traced", { bytes: fmtBytes(num(tm.traced_bytes)), peak: fmtBytes(num(tm.peak_bytes)) }) : t("dg.mem.tracingOff")}</dd>
    </dl>
    <h4>${t("dg.mem.types")}</h4>
    ${table({
      id: "mem-types",
      head: [t("dg.mem.type"), t("dg.mem.count"), t("dg.mem.bytes")],
      rows: [...types].sort((a, b) => b.bytes - a.bytes).slice(0, 50),
      key: (r) => r.type,
      row: (r) => html`<tr data-type=${r.type}><td class="mono">${r.type}</td><td class="num">${fmtNum(r.count)}</td><td class="num">${fmtBytes(r.bytes)}</td></tr>`,
    })}
    ${sites.length
      ? html`<h4>${t("dg.mem.sites")}</h4>
          ${table({
            id: "mem-sites",
            head: [t("dg.mem.site"), t("dg.mem.count"), t("dg.mem.bytes")],
            rows: sites,
            key: (s) => s.site,
            row: (s) => html`<tr data-site=${s.site}><td class="mono">${s.site}</td><td class="num">${fmtNum(s.count)}</td><td class="num">${fmtBytes(s.bytes)}</td></tr>`,
          })}`
      : nothing}
  </div>`;
}

/** The header every capture view starts with. */
export function captureMeta(c: AnyCapture, name: string): TemplateResult {
  const p = rec(c.payload);
  const tr = triggerOf(c);
  const host = (c.summary?.host as string | undefined) ?? (p.host as string | undefined);
  const pid = (c.summary?.pid as number | undefined) ?? (p.pid as number | undefined);
  return html`<dl class="kv capture-meta">
    <dt>${t("common.service")}</dt><dd>${c.service}</dd>
    <dt>${t("common.instance")}</dt><dd class="inst" title=${c.instance}>${name}</dd>
    <dt>${t("dg.kind")}</dt><dd class="kind">${kindLabel(c.kind)}${c.format ? html` <span class="muted mono">${c.format}</span>` : nothing}</dd>
    <dt>${t("dg.hostPid")}</dt><dd>${host ? `${host} · ${pid ?? "?"}` : "–"}</dd>
    <dt>${t("dg.captured")}</dt><dd>${c.captured_at ? fmtTime(c.captured_at, true) : "–"}</dd>
    <dt>${t("dg.trigger")}</dt><dd class="trigger">${tr ? html`${triggerBadge(tr)} ${tr.detail ? html`<span class="muted">${tr.detail}</span>` : nothing}` : "–"}</dd>
  </dl>`;
}
