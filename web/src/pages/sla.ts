// SLA (issue 11, item 2): per check, per service (its checks combined) and per service's
// real traffic, the uptime of each of the last 30 UTC days as a bar (green up, red down,
// grey unknown or maintenance: excluded from the figure), the SLA of the current period
// (the target's: day, week or month) against its target, and the error budget left.

import { get } from "../api";
import type { Ok } from "../api/types";
import { emptyState, errorBox, h, html, nothing, Panel, view } from "../dom";
import { fmtNum, fmtPct } from "../format";
import { t, tf } from "../i18n";
import type { Ctx, PageView } from "../page";
import { pinInto, registerPanelKind } from "../pin";
import { table } from "./table";
import "./sla.css";

type Subjects = Ok<"/api/v1/sla/subjects">;
type Subject = Subjects["subjects"][number];
type Report = Ok<"/api/v1/sla">;
type Period = Report["periods"][number];

const DAYS = 30;
const DAY_MS = 86_400_000;

export function createSla(): PageView {
  return new Sla();
}

registerPanelKind({ kind: "sla.table", title: () => t("sla.title"), w: 12, h: 5, create: () => new Sla() });

interface Row {
  subject: Subject;
  days: Report | null;
}

class Sla implements PageView {
  readonly el: HTMLElement;
  private readonly panel = new Panel(t("sla.title"), { id: "sla-panel", hint: t("sla.hint") });
  private loaded = false;

  constructor() {
    const legend = h(
      "div",
      { class: "sla-legend" },
      h("span", null, h("b", { class: "up", style: "background:var(--good)" }), t("sla.legendUp")),
      h("span", null, h("b", { style: "background:var(--bad)" }), t("sla.legendDown")),
      h("span", null, h("b", { style: "background:color-mix(in srgb, var(--muted) 60%, transparent)" }), t("sla.legendExcluded")),
    );
    pinInto(this.panel.el, "sla.table", () => ({}));
    this.el = h("div", { class: "page sla", id: "page-sla" }, legend, this.panel.el);
  }

  async refresh(_ctx: Ctx, signal: AbortSignal): Promise<void> {
    let rows: Row[];
    try {
      const body = await get<Subjects>("/sla/subjects", {}, signal);
      const from = Math.floor(Date.now() / DAY_MS) * DAY_MS - (DAYS - 1) * DAY_MS;
      rows = await Promise.all(
        body.subjects.map(async (subject): Promise<Row> => ({ subject, days: await get<Report>("/sla", { ...params(subject), period: "day", from }, signal) })),
      );
    } catch (err) {
      if ((err as Error).name === "AbortError") throw err;
      this.panel.setStatus(errorBox(err), this.loaded);
      return;
    }
    this.loaded = true;
    if (!rows.length) {
      view(this.panel.body, nothing);
      this.panel.setStatus(emptyState(t("sla.none"), t("sla.noneBody")));
      return;
    }
    const period = rows[0].subject.target.period;
    view(
      this.panel.body,
      table({
        id: "sla-table",
        head: [t("sla.subject"), tf("sla.days", { days: DAYS }), tf("sla.current", { period: t(`sla.period.${period}`) }), t("sla.target"), t("sla.budget")],
        rows,
        key: (r) => `${r.subject.target.kind}/${r.subject.target.subject}`,
        row: (r) => this.row(r),
      }),
    );
    this.panel.setStatus(null);
  }

  private row(r: Row) {
    const { target, current } = r.subject;
    const met = current.met;
    return html`<tr data-kind=${target.kind} data-subject=${target.subject} data-met=${met === null ? "" : String(met)}>
      <td class="subject">
        <b>${target.subject}</b> <span class="badge">${t(`sla.kind.${target.kind}`)}</span>
        ${target.kind === "traffic" && target.threshold_ms !== null ? html`<div class="muted">${tf("sla.threshold", { ms: fmtNum(target.threshold_ms, 0) })}</div>` : nothing}
        ${target.service && target.kind === "check" ? html`<div class="muted">${target.service}</div>` : nothing}
      </td>
      <td class="bars">${r.days ? bars(r.days) : nothing}</td>
      <td class="pct sla">
        ${current.sla_percent === null ? html`<span class="muted">${t("sla.noData")}</span>` : `${fmtNum(current.sla_percent, 3)}%`}
        ${met === null ? nothing : html` <span class="badge ${met ? "ok" : "bad"}">${t(met ? "sla.met" : "sla.missed")}</span>`}
      </td>
      <td class="pct target">${fmtNum(target.target_percent, 3)}%${r.subject.target_set ? nothing : html` <span class="muted">(${t("sla.defaultTarget")})</span>`}</td>
      <td class="pct budget ${current.budget.left < 0 ? "bad-text" : ""}" data-left=${String(current.budget.left)}>${budget(current.budget)}</td>
    </tr>`;
  }

  dispose(): void {}
}

function params(s: Subject): Record<string, string> {
  const { kind, subject } = s.target;
  if (kind === "check") return { check_id: subject };
  return kind === "traffic" ? { service: subject, source: "traffic" } : { service: subject };
}

function bars(report: Report) {
  const traffic = report.kind === "traffic";
  return html`<div class="sla-bars">${report.periods.map((p) => day(p, traffic))}</div>`;
}

function day(p: Period, traffic: boolean) {
  const date = new Date(p.start_ms).toISOString().slice(0, 10);
  const [up, down, excluded] = traffic
    ? [p.good, p.requests - p.good, p.requests ? 0 : 1]
    : [p.up_s, p.down_s, p.unknown_s + p.maintenance_s + (p.up_s + p.down_s + p.unknown_s + p.maintenance_s ? 0 : 1)];
  const total = up + down + excluded || 1;
  const title = traffic
    ? tf("sla.dayTitleTraffic", { day: date, good: p.good, requests: p.requests, uptime: fmtPct(p.uptime), excluded: p.excluded_requests })
    : tf("sla.dayTitle", { day: date, uptime: fmtPct(p.uptime), down: duration(p.down_s), unknown: duration(p.unknown_s), maintenance: duration(p.maintenance_s) });
  return html`<span class="sla-day" title=${title} data-day=${date} data-down=${String(down)} data-uptime=${p.uptime === null ? "" : String(p.uptime)}>
    ${up ? html`<i class="up" style="flex:${up / total}"></i>` : nothing}${down ? html`<i class="down" style="flex:${Math.max(down / total, 0.08)}"></i>` : nothing}${excluded
      ? html`<i class="excluded" style="flex:${excluded / total}"></i>`
      : nothing}
  </span>`;
}

function budget(b: Period["budget"]): string {
  if (b.unit === "requests") return tf("sla.budgetRequests", { left: fmtNum(b.left, 1), allowed: fmtNum(b.allowed, 1) });
  return tf("sla.budgetTime", { left: duration(b.left), allowed: duration(b.allowed) });
}

/** Seconds as "1 h 5 min", "43 min 12 s", "-3 min" (a spent budget goes negative). */
export function duration(seconds: number): string {
  const sign = seconds < 0 ? "-" : "";
  let s = Math.round(Math.abs(seconds));
  const d = Math.floor(s / 86_400);
  s -= d * 86_400;
  const hh = Math.floor(s / 3600);
  s -= hh * 3600;
  const mm = Math.floor(s / 60);
  s -= mm * 60;
  const parts = [d ? `${d} d` : "", hh ? `${hh} h` : "", mm ? `${mm} min` : "", s && !d ? `${s} s` : ""].filter(Boolean);
  return sign + (parts.slice(0, 2).join(" ") || "0 s");
}
