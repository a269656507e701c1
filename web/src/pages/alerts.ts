// Alerts: firing and pending instances (severity, rule, labels, since, value, summary,
// link, opened as the console's route), the state-change history below, and "Silence"
// from a row: a small form (author, comment, duration) creating a silence whose matchers
// are the row's labels. `#/alerts/<alert id>` (a click on a dashboard's alert area)
// marks that alert's row.

import { emptyState, errorBox, html, nothing, Panel, view } from "../dom";
import { canWrite } from "../access";
import { fmtNum } from "../format";
import { t } from "../i18n";
import type { Ctx, PageView } from "../page";
import { onlyPart, pinInto, registerPanelKind } from "../pin";
import { alerting, consoleHref, errorText, labelChips, type Alert, type Change } from "./alerting";
import { sevBadge, when } from "./kube";
import { table } from "./table";

// What is firing now is a figure one watches: the active alerts are pinnable (the history
// and the silence form are not).
registerPanelKind({
  kind: "alerts.active",
  title: () => t("al.title"),
  w: 12,
  h: 4,
  create: () => onlyPart(new Alerts(), "#alerts-panel"),
});

export function createAlerts(): PageView {
  return new Alerts();
}

class Alerts implements PageView {
  readonly el: HTMLElement;
  private readonly panel = new Panel(t("al.title"), { id: "alerts-panel", hint: t("al.hint") });
  private readonly historyPanel = new Panel(t("al.history"), { id: "alerts-history-panel" });
  private readonly form = document.createElement("div");
  private names = new Map<string, string>();
  /** The alert whose silence form is open, and the last answer to it. */
  private silencing: Alert | null = null;
  private message = "";
  private ctx: Ctx | null = null;

  constructor() {
    this.el = document.createElement("div");
    this.el.className = "page alerts";
    this.el.id = "page-alerts";
    this.form.id = "silence-form-box";
    pinInto(this.panel.el, "alerts.active", () => ({}));
    this.el.append(this.panel.el, this.form, this.historyPanel.el);
  }

  async refresh(ctx: Ctx, signal: AbortSignal): Promise<void> {
    this.ctx = ctx;
    try {
      const [alerts, history, rules] = await Promise.all([
        alerting.alerts(undefined, signal),
        alerting.history(signal),
        alerting.rules(signal),
      ]);
      this.names = new Map(rules.rules.map((r) => [r.id, r.name]));
      const active = alerts.alerts.filter((a) => a.state === "firing" || a.state === "pending");
      this.renderActive(active);
      this.renderHistory(history.history);
    } catch (err) {
      if ((err as Error).name === "AbortError") throw err;
      this.panel.setStatus(errorBox(err), true);
    }
  }

  private renderActive(rows: Alert[]): void {
    this.panel.setTitle(`${t("al.title")} (${rows.length})`);
    if (!rows.length) {
      view(this.panel.body, nothing);
      this.panel.setStatus(emptyState(t("al.none"), t("al.noneBody")));
      return;
    }
    // Firing before pending, the most severe first.
    const rank = (a: Alert) => (a.state === "firing" ? 0 : 3) + (a.severity === "critical" ? 0 : a.severity === "warning" ? 1 : 2);
    rows = [...rows].sort((a, b) => rank(a) - rank(b) || (a.active_since_ms ?? 0) - (b.active_since_ms ?? 0));
    view(
      this.panel.body,
      table({
        id: "alerts-table",
        head: [t("al.state"), t("al.severity"), t("al.rule"), t("al.labels"), t("al.since"), t("al.value"), t("al.summary"), ""],
        rows,
        key: (a) => a.id,
        row: (a) => html`<tr data-alert=${a.id} data-rule=${a.rule_id} data-state=${a.state} class=${a.id === this.ctx?.state.sub ? "selected" : ""}>
          <td class="state"><span class="badge state-${a.state}">${t(a.state === "firing" ? "al.firing" : "al.pending")}</span></td>
          <td class="severity">${sevBadge(a.severity)}</td>
          <td class="rule">${this.names.get(a.rule_id) ?? a.rule_id}</td>
          <td class="labels">${labelChips(a.labels)}</td>
          <td class="since">${a.active_since_ms === null ? "–" : when(a.active_since_ms)}</td>
          <td class="num value">${a.value === null ? "–" : fmtNum(a.value, 2)}</td>
          <td class="summary">${a.link ? html`<a href=${consoleHref(a.link)}>${a.summary}</a>` : a.summary}</td>
          <td>${canWrite() ? html`<button class="btn small silence-btn" @click=${() => this.openSilence(a)}>${t("al.silence")}</button>` : nothing}</td>
        </tr>`,
      }),
    );
    this.panel.setStatus(null);
  }

  private renderHistory(rows: Change[]): void {
    if (!rows.length) {
      view(this.historyPanel.body, nothing);
      this.historyPanel.setStatus(emptyState(t("al.noHistory")));
      return;
    }
    view(
      this.historyPanel.body,
      table({
        id: "alerts-history",
        head: [t("al.at"), t("al.change"), t("al.severity"), t("al.rule"), t("al.labels"), t("al.summary")],
        rows,
        key: (c) => String(c.id),
        row: (c) => html`<tr data-change=${c.id} data-new=${c.new}>
          <td class="at">${when(c.at_ms)}</td>
          <td class="change">${c.old} → ${c.new}</td>
          <td>${sevBadge(c.alert.severity)}</td>
          <td class="rule">${this.names.get(c.alert.rule_id) ?? c.alert.rule_id}</td>
          <td>${labelChips(c.alert.labels)}</td>
          <td class="summary">${c.alert.summary}</td>
        </tr>`,
      }),
    );
    this.historyPanel.setStatus(null);
  }

  private openSilence(a: Alert): void {
    this.silencing = a;
    this.message = "";
    this.renderForm();
  }

  private renderForm(): void {
    const a = this.silencing;
    if (!a) {
      view(this.form, nothing);
      return;
    }
    const submit = async (e: Event) => {
      e.preventDefault();
      const f = new FormData(e.target as HTMLFormElement);
      const minutes = Number(f.get("minutes"));
      const matchers = Object.keys(a.labels).sort().map((name) => ({ name, op: "=", value: a.labels[name] }));
      try {
        const s = await alerting.createSilence({
          matchers,
          author: String(f.get("author") ?? ""),
          comment: String(f.get("comment") ?? ""),
          ends_ms: Date.now() + minutes * 60_000,
        });
        this.silencing = null;
        this.message = s.id;
        view(this.form, html`<p class="form-ok" id="silence-created" data-silence=${s.id}>${t("al.silenced")} ${s.id}</p>`);
      } catch (err) {
        this.message = errorText(err);
        this.renderForm();
      }
    };
    view(
      this.form,
      html`<section class="panel"><header><h3>${t("al.silenceTitle")}</h3></header>
        <form class="search-form alert-form" id="silence-form" @submit=${submit}>
          <div class="field"><span>${t("al.matchers")}</span>${labelChips(a.labels)}</div>
          <label class="field"><span>${t("al.author")}</span><input name="author" id="silence-author" required /></label>
          <label class="field"><span>${t("al.comment")}</span><input name="comment" id="silence-comment" /></label>
          <label class="field"><span>${t("al.minutes")}</span><input name="minutes" id="silence-minutes" type="number" min="1" value="60" /></label>
          <button class="btn" type="submit" id="silence-submit">${t("al.silence")}</button>
          <button class="btn" type="button" @click=${() => ((this.silencing = null), this.renderForm())}>${t("al.cancel")}</button>
          ${this.message ? html`<p class="field-error" id="silence-error">${this.message}</p>` : nothing}
        </form></section>`,
    );
    void this.ctx;
  }

  dispose(): void {}
}
