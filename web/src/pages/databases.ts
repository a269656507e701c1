// The Database view (issue 13, item 1): every database called in the window (calls/s,
// average and p95, errors, callers, connections in use), a chosen one's top statements
// ordered by total time, calls, p95 or errors (normalised text, one row per shape), and a
// chosen statement's series with its slowest calls, each opening its trace. The database
// and the statement live in the URL (`#/databases?db=…&stmt=…&order=…`).

import "./views.css";
import { get } from "../api";
import type { Ok } from "../api/types";
import { Chart, baseOption, palette, timeAxis, valueAxis } from "../charts";
import { emptyState, errorBox, h, html, nothing, Panel, view } from "../dom";
import { fmtMs, fmtNum, fmtPct, fmtTime } from "../format";
import { t } from "../i18n";
import type { Ctx, PageView } from "../page";
import { onlyPart, pinInto, registerPanelKind, type PanelParams } from "../pin";
import { onRowKey, table } from "./table";

type DbList = Ok<"/api/v1/databases">;
type Db = DbList["databases"][number];
type Statements = Ok<"/api/v1/databases/{db}/statements">;
type Detail = Ok<"/api/v1/databases/{db}/statements/{fingerprint}">;

const ORDERS = ["total", "calls", "p95", "errors"] as const;
type Order = (typeof ORDERS)[number];
const enc = encodeURIComponent;

export const dbApi = {
  list: (w: { from: number; to: number }, s?: AbortSignal) => get<DbList>("/databases", { ...w }, s),
  statements: (db: string, order: Order, w: { from: number; to: number }, s?: AbortSignal) =>
    get<Statements>(`/databases/${enc(db)}/statements`, { ...w, order, limit: 50 }, s),
  statement: (db: string, fp: string, w: { from: number; to: number }, s?: AbortSignal) =>
    get<Detail>(`/databases/${enc(db)}/statements/${enc(fp)}`, { ...w }, s),
};

export function createDatabases(ctx: Ctx): PageView {
  return new Databases(ctx);
}

/** Pinnable parts: kind `databases.<part>` → the panel shown, its title key, default size,
 *  and the params it keeps (the list: none; a database's statements: db and order; a
 *  statement's chart: db and stmt). */
const PARTS = {
  list: ["#db-panel", "db.title", 12, 5],
  statements: ["#stmt-panel", "db.statements", 12, 5],
  statement: ["#stmt-detail-panel", "db.statement", 6, 5],
} as const;
for (const [part, [selector, label, w, h_]] of Object.entries(PARTS)) {
  registerPanelKind({
    kind: `databases.${part}`,
    title: (p: PanelParams) => [t(label), p.db].filter(Boolean).join(" · "),
    w,
    h: h_,
    create: () => onlyPart(new Databases(), selector),
  });
}

class Databases implements PageView {
  readonly el: HTMLElement;
  private readonly listPanel = new Panel(t("db.title"), { id: "db-panel", hint: t("db.hint") });
  private readonly stmtPanel = new Panel(t("db.statements"), { id: "stmt-panel" });
  private readonly detailPanel = new Panel(t("db.statement"), { id: "stmt-detail-panel" });
  private readonly chart: Chart;
  private readonly textEl = h("pre", { class: "mono stmt-text", id: "stmt-text" });
  private readonly slowEl = h("div", { id: "slow-calls" });
  private ctx!: Ctx;

  constructor(ctx?: Ctx) {
    if (ctx) this.ctx = ctx;
    const box = h("div", { class: "chart-box short", id: "stmt-chart" });
    this.detailPanel.body.append(this.textEl, box, h("h4", null, t("db.slowCalls")), this.slowEl);
    this.chart = new Chart(box, { renderer: "svg" });
    pinInto(this.listPanel.el, "databases.list", () => ({}));
    pinInto(this.stmtPanel.el, "databases.statements", () => ({ db: this.db, order: this.order === "total" ? "" : this.order }));
    pinInto(this.detailPanel.el, "databases.statement", () => ({ db: this.db, stmt: this.stmt }));
    this.stmtPanel.el.hidden = true;
    this.detailPanel.el.hidden = true;
    this.el = h("div", { class: "page databases", id: "page-databases" }, this.listPanel.el, this.stmtPanel.el, this.detailPanel.el);
  }

  private get db(): string {
    return this.ctx.state.extra.db ?? "";
  }
  private get order(): Order {
    const o = this.ctx.state.extra.order as Order;
    return ORDERS.includes(o) ? o : "total";
  }
  private get stmt(): string {
    return this.ctx.state.extra.stmt ?? "";
  }

  async refresh(ctx: Ctx, signal: AbortSignal): Promise<void> {
    this.ctx = ctx;
    await Promise.all([this.loadList(signal), this.loadStatements(signal), this.loadDetail(signal)]);
  }

  /** Choose (or clear) page parameters without a rebuild, then load what they show. */
  private choose(patch: Record<string, string>): void {
    this.ctx.setExtra(patch);
    this.ctx = { ...this.ctx, state: { ...this.ctx.state, extra: Object.fromEntries(Object.entries({ ...this.ctx.state.extra, ...patch }).filter(([, v]) => v !== "")) } };
    const ac = new AbortController();
    void Promise.all([this.loadList(ac.signal), this.loadStatements(ac.signal), this.loadDetail(ac.signal)]);
  }

  private async loadList(signal: AbortSignal): Promise<void> {
    let body: DbList;
    try {
      body = await dbApi.list(this.ctx.window, signal);
    } catch (err) {
      if ((err as Error).name === "AbortError") throw err;
      this.listPanel.setStatus(errorBox(err));
      return;
    }
    const rows = [...body.databases].sort((a, b) => b.total_ms - a.total_ms);
    this.listPanel.setTitle(`${t("db.title")} (${rows.length})`);
    if (!rows.length) {
      view(this.listPanel.body, nothing);
      this.listPanel.setStatus(emptyState(t("db.none"), t("db.noneBody")));
      return;
    }
    const ctx = this.ctx;
    view(
      this.listPanel.body,
      table({
        id: "db-table",
        head: [t("db.db"), t("db.callsPerS"), t("db.calls"), t("db.avg"), t("db.p95"), t("db.errors"), t("db.callers"), t("db.connections")],
        rows,
        key: (d) => d.db,
        row: (d: Db) => html`<tr class="clickable ${d.db === this.db ? "selected" : ""}" tabindex="0" data-db=${d.db}
            data-calls=${d.calls} data-errors=${d.errors} data-avg=${d.avg_ms ?? ""} data-p95=${d.p95_ms ?? ""}
            data-connections=${d.connections ?? ""} @click=${() => this.choose({ db: d.db, stmt: "" })}
            @keydown=${onRowKey(() => this.choose({ db: d.db, stmt: "" }))}>
          <td class="db"><b>${d.system}</b> ${d.name ?? ""}${d.address ? html` <span class="muted">@${d.address}</span>` : nothing}</td>
          <td class="num cps">${fmtNum(d.calls_per_s, 2)}</td>
          <td class="num calls">${d.calls}</td>
          <td class="num avg">${fmtMs(d.avg_ms)}</td>
          <td class="num p95">${fmtMs(d.p95_ms)}</td>
          <td class="num errors ${d.errors ? "bad-text" : ""}">${d.errors}${d.errors ? html` <span class="muted">(${fmtPct(d.error_rate)})</span>` : nothing}</td>
          <td class="callers">${d.callers.map(
            (c, i) => html`${i ? ", " : ""}<a href=${ctx.href({ page: "dashboard", sub: "", service: c.service, instance: "", extra: {} })}
              @click=${(e: Event) => e.stopPropagation()} title=${`${c.calls}`}>${c.service}</a>`,
          )}</td>
          <td class="num connections">${d.connections === null ? "–" : fmtNum(d.connections, 0)}</td>
        </tr>`,
      }),
    );
    this.listPanel.setStatus(null);
  }

  private async loadStatements(signal: AbortSignal): Promise<void> {
    const db = this.db;
    this.stmtPanel.el.hidden = !db;
    if (!db) return;
    let body: Statements;
    try {
      body = await dbApi.statements(db, this.order, this.ctx.window, signal);
    } catch (err) {
      if ((err as Error).name === "AbortError") throw err;
      this.stmtPanel.setStatus(errorBox(err));
      return;
    }
    if (body.db !== this.db) return; // chose another meanwhile
    this.stmtPanel.setTitle(`${t("db.statements")} · ${db}`);
    const switcher = html`<div class="ranges" role="group" id="stmt-order" aria-label=${t("db.order")}>
      ${ORDERS.map((o) => html`<button class="btn seg ${o === this.order ? "on" : ""}" data-order=${o} @click=${() => this.choose({ order: o })}>${t(`db.order.${o}`)}</button>`)}
    </div>`;
    view(
      this.stmtPanel.body,
      html`${switcher}${body.statements.length
        ? table({
            id: "stmt-table",
            head: [t("db.text"), t("db.calls"), t("db.total"), t("db.avg"), t("db.p95"), t("db.errors")],
            rows: body.statements,
            key: (s) => s.fingerprint,
            row: (s) => html`<tr class="clickable ${s.fingerprint === this.stmt ? "selected" : ""}" tabindex="0" data-fingerprint=${s.fingerprint}
                data-calls=${s.calls} data-total=${s.total_ms} data-p95=${s.p95_ms ?? ""} data-errors=${s.errors}
                @click=${() => this.choose({ stmt: s.fingerprint })} @keydown=${onRowKey(() => this.choose({ stmt: s.fingerprint }))}>
              <td class="mono text" title=${s.text ?? ""}>${clip(s.text ?? s.fingerprint, 140)}</td>
              <td class="num calls">${s.calls}</td>
              <td class="num total">${fmtMs(s.total_ms)}</td>
              <td class="num avg">${fmtMs(s.avg_ms)}</td>
              <td class="num p95">${fmtMs(s.p95_ms)}</td>
              <td class="num errors ${s.errors ? "bad-text" : ""}">${s.errors}</td>
            </tr>`,
          })
        : html`<p class="muted">${t("db.noStatements")}</p>`}`,
    );
    this.stmtPanel.setStatus(null);
  }

  private async loadDetail(signal: AbortSignal): Promise<void> {
    const db = this.db;
    const fp = this.stmt;
    this.detailPanel.el.hidden = !db || !fp;
    if (!db || !fp) return;
    let body: Detail;
    try {
      body = await dbApi.statement(db, fp, this.ctx.window, signal);
    } catch (err) {
      if ((err as Error).name === "AbortError") throw err;
      this.detailPanel.setStatus(errorBox(err));
      return;
    }
    if (body.fingerprint !== this.stmt) return;
    this.textEl.textContent = body.text;
    this.textEl.dataset.fingerprint = body.fingerprint;
    const p = palette();
    const step = body.step;
    this.chart.el.dataset.calls = String(body.points.reduce((n, x) => n + x.calls, 0));
    this.chart.set(
      {
        ...baseOption(),
        xAxis: timeAxis(this.ctx.window),
        yAxis: [valueAxis(), { ...valueAxis((v) => fmtMs(v)), splitLine: { show: false } }],
        series: [
          { type: "bar", name: t("db.callsPerS"), data: body.points.map((x) => [x.ts, Math.round((x.calls / step) * 100) / 100]), itemStyle: { color: p.series[0] } },
          { type: "line", name: t("db.avg"), yAxisIndex: 1, showSymbol: false, data: body.points.map((x) => [x.ts, x.avg_ms]), itemStyle: { color: p.series[2] } },
          { type: "line", name: t("db.p95"), yAxisIndex: 1, showSymbol: false, data: body.points.map((x) => [x.ts, x.p95_ms]), itemStyle: { color: p.series[4] } },
        ],
      },
      body.points.length,
      true,
    );
    const ctx = this.ctx;
    view(
      this.slowEl,
      body.slow_calls.length
        ? table({
            id: "slow-table",
            head: [t("db.when"), t("db.caller"), t("db.duration"), t("db.trace")],
            rows: body.slow_calls,
            key: (c) => c.trace_id,
            row: (c) => html`<tr data-trace=${c.trace_id} data-duration=${c.duration_ms}>
              <td>${fmtTime(c.ts)}</td>
              <td>${c.service}</td>
              <td class="num">${fmtMs(c.duration_ms)}</td>
              <td class="mono"><a class="trace-link" href=${ctx.href({ page: "traces", sub: c.trace_id, extra: {} })}>${c.trace_id.slice(0, 16)}…</a></td>
            </tr>`,
          })
        : html`<p class="muted">${t("db.noSlow")}</p>`,
    );
    this.detailPanel.setStatus(null);
  }

  dispose(): void {
    this.chart.dispose();
  }
}

function clip(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}
