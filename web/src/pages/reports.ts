// Reports: generate one (kind, service, UTC days) — the server builds it, the list shows
// its progress and, once done, links to its HTML, PDF and CSV; and the schedules that
// e-mail one every day, week or month (through an alert e-mail channel). The list polls
// every 2 s while a report is being built. A 400 is shown beside the form.

import { get, post, send } from "../api";
import type { components, Ok } from "../api/types";
import { emptyState, errorBox, html, nothing, Panel, view, writeHint } from "../dom";
import { canWrite } from "../access";
import { t, tf } from "../i18n";
import type { Ctx, PageView } from "../page";
import { errorText } from "./alerting";
import { table } from "./table";

type Report = components["schemas"]["ReportOut"];
type Schedule = components["schemas"]["ScheduleOut"];
type Kind = components["schemas"]["KindOut"];
type Channel = Ok<"/api/v1/channels">["channels"][number];

const DAY_MS = 86_400_000;
const enc = encodeURIComponent;

function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function dayMs(text: string): number {
  return Date.parse(`${text}T00:00:00Z`);
}

export function createReports(): PageView {
  return new Reports();
}

class Reports implements PageView {
  readonly el: HTMLElement;
  private readonly form = new Panel(t("rep.generate"), { id: "report-form-panel", hint: t("rep.hint") });
  private readonly list = new Panel(t("rep.list"), { id: "reports-panel" });
  private readonly sched = new Panel(t("rep.schedules"), { id: "schedules-panel", hint: t("rep.schedulesHint") });
  private kinds: Kind[] = [];
  private services: string[] = [];
  private reports: Report[] = [];
  private schedules: Schedule[] = [];
  private channels: Channel[] = [];
  private formError = "";
  private schedError = "";
  private timer: number | undefined;

  constructor() {
    this.el = document.createElement("div");
    this.el.className = "page reports";
    this.el.id = "page-reports";
    this.el.append(this.form.el, this.list.el, this.sched.el);
  }

  async refresh(ctx: Ctx, signal: AbortSignal): Promise<void> {
    this.services = ctx.services.map((s) => s.name);
    try {
      const [kinds, reports, schedules, channels] = await Promise.all([
        get<Ok<"/api/v1/reports/kinds">>("/reports/kinds", {}, signal),
        get<Ok<"/api/v1/reports">>("/reports", {}, signal),
        get<Ok<"/api/v1/report-schedules">>("/report-schedules", {}, signal),
        get<Ok<"/api/v1/channels">>("/channels", {}, signal),
      ]);
      this.kinds = kinds.kinds;
      this.reports = reports.reports;
      this.schedules = schedules.schedules;
      this.channels = channels.channels.filter((c) => c.type === "email");
      this.render();
      this.poll();
    } catch (err) {
      if ((err as Error).name === "AbortError") throw err;
      this.list.setStatus(errorBox(err), true);
    }
  }

  dispose(): void {
    window.clearTimeout(this.timer);
  }

  /** While a report is queued or running, read the list again in 2 s. */
  private poll(): void {
    window.clearTimeout(this.timer);
    if (!this.reports.some((r) => r.state === "queued" || r.state === "running")) return;
    this.timer = window.setTimeout(async () => {
      try {
        this.reports = (await get<Ok<"/api/v1/reports">>("/reports", {})).reports;
        this.renderList();
      } catch {
        // the next refresh shows the error
      }
      this.poll();
    }, 2000);
  }

  private async generate(e: Event): Promise<void> {
    e.preventDefault();
    const f = new FormData(e.target as HTMLFormElement);
    const service = String(f.get("service") ?? "");
    const body = {
      kind: String(f.get("kind")),
      service: service || null,
      from: dayMs(String(f.get("from"))),
      to: dayMs(String(f.get("to"))) + DAY_MS,
    };
    try {
      const made = await post<Report>("/reports", body);
      this.formError = "";
      this.reports = [made, ...this.reports.filter((r) => r.id !== made.id)];
    } catch (err) {
      this.formError = errorText(err);
    }
    this.render();
    this.poll();
  }

  private async addSchedule(e: Event): Promise<void> {
    e.preventDefault();
    const f = new FormData(e.target as HTMLFormElement);
    const service = String(f.get("service") ?? "");
    try {
      await post<Schedule>("/report-schedules", {
        name: String(f.get("name")), kind: String(f.get("kind")), service: service || null,
        every: String(f.get("every")), at: String(f.get("at")), channel_id: String(f.get("channel_id")),
      });
      this.schedError = "";
      this.schedules = (await get<Ok<"/api/v1/report-schedules">>("/report-schedules", {})).schedules;
    } catch (err) {
      this.schedError = errorText(err);
    }
    this.renderSchedules();
  }

  private async removeSchedule(s: Schedule): Promise<void> {
    try {
      await send("DELETE", `/report-schedules/${enc(s.id)}`);
      this.schedules = this.schedules.filter((x) => x.id !== s.id);
      this.schedError = "";
    } catch (err) {
      this.schedError = errorText(err);
    }
    this.renderSchedules();
  }

  private render(): void {
    this.renderForm();
    this.renderList();
    this.renderSchedules();
  }

  /** The kinds the server offers, the performance report first (the one most often wanted). */
  private kindOptions() {
    const first = (k: { name: string }) => (k.name === "performance" ? 0 : 1);
    return [...this.kinds]
      .sort((a, b) => first(a) - first(b))
      .map((k) => html`<option value=${k.name}>${k.title}</option>`);
  }

  private serviceOptions() {
    return html`<option value="">${t("rep.allServices")}</option>${this.services.map((s) => html`<option value=${s}>${s}</option>`)}`;
  }

  private renderForm(): void {
    this.form.setStatus(null);
    if (!canWrite()) {
      view(this.form.body, writeHint());
      return;
    }
    const today = utcDay(Date.now());
    view(
      this.form.body,
      html`<form id="report-form" class="form-row" @submit=${(e: Event) => this.generate(e)}>
        <label>${t("rep.kind")} <select name="kind">${this.kindOptions()}</select></label>
        <label>${t("rep.service")} <select name="service">${this.serviceOptions()}</select></label>
        <label>${t("rep.from")} <input type="date" name="from" .value=${today} required /></label>
        <label>${t("rep.to")} <input type="date" name="to" .value=${today} required /></label>
        <button type="submit" id="report-generate">${t("rep.build")}</button>
        ${this.formError ? html`<p class="bad-text form-error" id="report-error">${this.formError}</p>` : nothing}
      </form>`,
    );
  }

  private renderList(): void {
    if (!this.reports.length) {
      view(this.list.body, nothing);
      this.list.setStatus(emptyState(t("rep.none")));
      return;
    }
    this.list.setStatus(null);
    view(
      this.list.body,
      table({
        id: "reports-table",
        head: [t("rep.title"), t("rep.period"), t("rep.state"), t("rep.progress"), t("rep.download")],
        rows: this.reports,
        key: (r) => r.id,
        row: (r) => html`<tr data-report=${r.id} data-state=${r.state}>
          <td class="title">${r.title ?? `${r.kind}${r.service ? ` — ${r.service}` : ""}`}</td>
          <td class="period mono">${utcDay(r.from)} – ${utcDay(r.to - 1)}</td>
          <td class="state">${t(`rep.state.${r.state}`)}${r.error ? html` <span class="bad-text">${r.error}</span>` : nothing}</td>
          <td class="progress"><progress max="100" .value=${r.progress}></progress> <span class="pct">${Math.round(r.progress)} %</span></td>
          <td class="downloads">${r.formats.map(
            (f) => html`<a class="download" data-format=${f} href=${`api/v1/reports/${enc(r.id)}/download?format=${f}`} target="_blank" rel="noopener">${f.toUpperCase()}</a> `,
          )}${r.pdf_error ? html`<span class="muted" title=${r.pdf_error}>(no PDF)</span>` : nothing}</td>
        </tr>`,
      }),
    );
  }

  private renderSchedules(): void {
    this.sched.setStatus(null);
    const rows = this.schedules.length
      ? table({
          id: "schedules-table",
          head: [t("rep.name"), t("rep.kind"), t("rep.every"), t("rep.at"), t("rep.lastSent"), ""],
          rows: this.schedules,
          key: (s) => s.id,
          row: (s) => {
            const d = s.deliveries[0];
            return html`<tr data-schedule=${s.id}>
              <td>${s.name}</td><td>${s.kind}${s.service ? ` — ${s.service}` : ""}</td>
              <td>${t(`rep.every.${s.every}`)}</td><td class="mono">${s.at}</td>
              <td class="delivery">${d ? tf("rep.delivery", { period: utcDay(d.period_from_ms), state: d.state }) : t("rep.never")}</td>
              <td>${canWrite() ? html`<button class="link" @click=${() => this.removeSchedule(s)}>${t("rep.delete")}</button>` : nothing}</td>
            </tr>`;
          },
        })
      : html`<p class="muted">${t("rep.noSchedules")}</p>`;
    view(
      this.sched.body,
      html`${rows}
        ${!canWrite() ? writeHint() : this.channels.length
          ? html`<form id="schedule-form" class="form-row" @submit=${(e: Event) => this.addSchedule(e)}>
              <label>${t("rep.name")} <input name="name" required /></label>
              <label>${t("rep.kind")} <select name="kind">${this.kindOptions()}</select></label>
              <label>${t("rep.service")} <select name="service">${this.serviceOptions()}</select></label>
              <label>${t("rep.every")} <select name="every">${(["daily", "weekly", "monthly"] as const).map(
                (e) => html`<option value=${e}>${t(`rep.every.${e}`)}</option>`,
              )}</select></label>
              <label>${t("rep.at")} <input name="at" .value=${"07:00"} pattern="[0-2][0-9]:[0-5][0-9]" required /></label>
              <label>${t("rep.channel")} <select name="channel_id">${this.channels.map((c) => html`<option value=${c.id}>${c.name}</option>`)}</select></label>
              <button type="submit" id="schedule-add">${t("rep.addSchedule")}</button>
              ${this.schedError ? html`<p class="bad-text form-error" id="schedule-error">${this.schedError}</p>` : nothing}
            </form>`
          : html`<p class="muted">${t("rep.noChannel")}</p>`}`,
    );
  }
}
