// Checks: the synthetic checks the server probes (issue 11), each with its state (up /
// down / unknown, thresholds applied), its last result (status code, time, the condition
// that failed or the error, the certificate's days left), a sparkline of its recent
// response times (dots coloured by each probe's status) and "Run now" (the probe's
// answer inline). One form creates or edits a check; the server's 400 is shown beside the
// field it names (`conditions[1].op: …` beside the conditions). `?check=<id>` (an alert's
// link) marks that check's row.

import { get, post, send as sendCall } from "../api";
import type { Ok } from "../api/types";
import { emptyState, errorBox, html, nothing, Panel, svg, view, writeHint } from "../dom";
import { canWrite } from "../access";
import { fmtTime } from "../format";
import { t, tf } from "../i18n";
import type { Ctx, PageView } from "../page";
import { onlyPart, pinInto, registerPanelKind } from "../pin";
import { errorText, fieldErrors } from "./alerting";
import { table } from "./table";
import "./checks.css";

type Check = Ok<"/api/v1/checks">["checks"][number];
type Result = Ok<"/api/v1/checks/{check_id}/run", "post">;

const FIELDS = ["name", "type", "target", "conditions", "combine", "interval_s", "failure_threshold", "success_threshold", "enabled"] as const;
const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];
const DEFAULT_CONDITIONS = '[{"on": "status", "op": "==", "value": 200}]';
const enc = encodeURIComponent;

/** PUT or DELETE, failing with the server's `detail` (api.ts's `send`). */
function send(method: "PUT" | "DELETE", path: string, body?: unknown): Promise<Check | null> {
  return sendCall<Check>(method, path, body);
}

// The checks' states and recent response times are a board one watches: pinnable (the
// form is not).
registerPanelKind({
  kind: "checks.table",
  title: () => t("chk.title"),
  w: 12,
  h: 4,
  create: () => onlyPart(new Checks(), "#checks-panel"),
});

export function createChecks(): PageView {
  return new Checks();
}

/** "Run now" of one check: running, its result, or the call's failure. */
type RunState = { running: true } | { running: false; result: Result } | { running: false; failed: string };

class Checks implements PageView {
  readonly el: HTMLElement;
  private readonly panel = new Panel(t("chk.title"), { id: "checks-panel", hint: t("chk.hint") });
  private readonly formBox = document.createElement("section");
  private checks: Check[] = [];
  private editing: Check | null = null;
  private type = "http";
  private errors: Partial<Record<string, string>> = {};
  private marked = "";
  private readonly runs = new Map<string, RunState>();

  constructor() {
    this.el = document.createElement("div");
    this.el.className = "page checks";
    this.el.id = "page-checks";
    this.formBox.className = "panel";
    this.formBox.id = "check-form-panel";
    pinInto(this.panel.el, "checks.table", () => ({}));
    this.el.append(this.panel.el, this.formBox);
    this.renderForm();
  }

  async refresh(ctx: Ctx, signal: AbortSignal): Promise<void> {
    this.marked = ctx.state.extra.check ?? "";
    try {
      this.checks = (await get<Ok<"/api/v1/checks">>("/checks", {}, signal)).checks;
      this.renderTable();
    } catch (err) {
      if ((err as Error).name === "AbortError") throw err;
      this.panel.setStatus(errorBox(err), true);
    }
  }

  private async run(c: Check): Promise<void> {
    this.runs.set(c.id, { running: true });
    this.renderTable();
    try {
      this.runs.set(c.id, { running: false, result: await post<Result>(`/checks/${enc(c.id)}/run`, undefined) });
      this.checks = (await get<Ok<"/api/v1/checks">>("/checks", {})).checks;
    } catch (err) {
      this.runs.set(c.id, { running: false, failed: errorText(err) });
    }
    this.renderTable();
  }

  private async remove(c: Check): Promise<void> {
    try {
      await send("DELETE", `/checks/${enc(c.id)}`);
      this.checks = this.checks.filter((x) => x.id !== c.id);
      if (this.editing?.id === c.id) this.edit(null);
    } catch (err) {
      this.runs.set(c.id, { running: false, failed: errorText(err) });
    }
    this.renderTable();
  }

  private edit(c: Check | null): void {
    this.editing = c;
    this.type = c?.type ?? "http";
    this.errors = {};
    // A new template for another check: lit keeps input values it set itself, so the form
    // is cleared before it is drawn with the check's values.
    view(this.formBox, nothing);
    this.renderForm();
  }

  private runText(c: Check) {
    const s = this.runs.get(c.id);
    if (!s) return nothing;
    if (s.running) return html`<span class="run-result muted" data-outcome="running">${t("chk.running")}</span>`;
    if ("failed" in s) return html`<span class="run-result bad-text" data-outcome="failed">${s.failed}</span>`;
    const r = s.result;
    return html`<span class=${`run-result ${r.status === "up" ? "good-text" : "bad-text"}`} data-outcome=${r.status}
      >${tf("chk.ran", { status: t(`chk.state.${r.status}`), ms: Math.round(r.duration_ms ?? 0) })}${r.failed_condition || r.error
        ? html`: ${r.failed_condition ?? r.error}`
        : nothing}</span>`;
  }

  private renderTable(): void {
    if (!this.checks.length) {
      view(this.panel.body, nothing);
      this.panel.setStatus(emptyState(t("chk.none")));
      return;
    }
    view(
      this.panel.body,
      table({
        id: "checks-table",
        head: [t("chk.name"), t("chk.target"), t("chk.state"), t("chk.last"), t("chk.recent"), t("chk.actions")],
        rows: this.checks,
        key: (c) => c.id,
        row: (c) => html`<tr data-check=${c.id} data-state=${c.state} class=${c.id === this.marked ? "marked" : ""}>
          <td class="name">${c.name}${c.enabled ? nothing : html` <span class="muted">(off)</span>`}</td>
          <td class="target mono">${c.target_text}</td>
          <td class="state"><span class=${`check-state ${c.state}`}>${t(`chk.state.${c.state}`)}</span></td>
          <td class="last">${lastText(c.last)}</td>
          <td class="recent">${sparkline(c.recent)}</td>
          <td class="actions">${canWrite()
            ? html`<button class="btn small run-btn" ?disabled=${this.runs.get(c.id)?.running === true} @click=${() => void this.run(c)}>${t("chk.run")}</button>
            <button class="btn small edit-btn" @click=${() => this.edit(c)}>${t("chk.edit")}</button>
            <button class="btn small delete-btn" @click=${() => void this.remove(c)}>${t("chk.delete")}</button>`
            : nothing}
            ${this.runText(c)}</td></tr>`,
      }),
    );
    this.panel.setStatus(null);
  }

  private renderForm(): void {
    if (!canWrite()) {
      view(this.formBox, html`<header><h3>${t("chk.create")}</h3></header>${writeHint()}`);
      return;
    }
    const c = this.editing;
    const target = (c?.target ?? {}) as Record<string, unknown>;
    const str = (k: string, d: string) => (target[k] === undefined ? d : String(target[k]));
    const flag = (k: string) => target[k] !== false;
    const submit = async (e: Event) => {
      e.preventDefault();
      const f = new FormData(e.target as HTMLFormElement);
      const num = (k: string) => Number(f.get(k));
      let conditions: unknown;
      try {
        conditions = JSON.parse(String(f.get("conditions") ?? "[]"));
      } catch (err) {
        this.errors = { conditions: tf("chk.badJson", { error: (err as Error).message }) };
        this.renderForm();
        return;
      }
      const body = {
        name: String(f.get("name") ?? ""),
        type: this.type,
        target: this.type === "tcp"
          ? { host: String(f.get("host") ?? ""), port: num("port"), timeout_s: num("timeout_s") }
          : {
              url: String(f.get("url") ?? ""), method: String(f.get("method") ?? "GET"), timeout_s: num("timeout_s"),
              follow_redirects: f.get("follow_redirects") === "on", verify_tls: f.get("verify_tls") === "on",
            },
        conditions,
        combine: String(f.get("combine") ?? "all"),
        interval_s: num("interval_s"),
        failure_threshold: num("failure_threshold"),
        success_threshold: num("success_threshold"),
        enabled: f.get("enabled") === "on",
      };
      try {
        const saved = c ? await send("PUT", `/checks/${enc(c.id)}`, body) : await post<Check>("/checks", body);
        if (saved) this.checks = [...this.checks.filter((x) => x.id !== saved.id), saved].sort((a, b) => a.name.localeCompare(b.name));
        this.renderTable();
        this.edit(null);
        return;
      } catch (err) {
        this.errors = fieldErrors(errorText(err), FIELDS);
      }
      this.renderForm();
    };
    const err = (k: string) => (this.errors[k] ? html`<span class="field-error" data-field=${k}>${this.errors[k]}</span>` : nothing);
    const number = (k: string, label: string, value: number | string, min: number) =>
      html`<label class="field"><span>${label}</span><input type="number" step="any" min=${min} name=${k} id=${`check-${k}`} value=${value} />${err(k)}</label>`;
    const http = this.type !== "tcp";
    view(
      this.formBox,
      html`<header><h3>${c ? tf("chk.editing", { name: c.name }) : t("chk.create")}</h3></header>
        <form class="search-form check-form" id="check-form" @submit=${submit}>
          <label class="field"><span>${t("chk.name")}</span><input name="name" id="check-name" value=${c?.name ?? ""} />${err("name")}</label>
          <label class="field"><span>${t("chk.type")}</span>
            <select name="type" id="check-type" @change=${(e: Event) => { this.type = (e.target as HTMLSelectElement).value; this.renderForm(); }}>
              ${["http", "tcp"].map((k) => html`<option value=${k} ?selected=${k === this.type}>${k}</option>`)}</select>${err("type")}</label>
          ${http
            ? html`<label class="field wide"><span>${t("chk.url")}</span><input name="url" id="check-url" class="mono" value=${str("url", "https://")} />${err("target")}</label>
                <label class="field"><span>${t("chk.method")}</span><select name="method" id="check-method">
                  ${METHODS.map((m) => html`<option value=${m} ?selected=${m === str("method", "GET")}>${m}</option>`)}</select></label>`
            : html`<label class="field"><span>${t("chk.host")}</span><input name="host" id="check-host" value=${str("host", "")} />${err("target")}</label>
                ${number("port", t("chk.port"), str("port", ""), 1)}`}
          ${number("timeout_s", t("chk.timeout"), str("timeout_s", "10"), 0.1)}
          ${number("interval_s", t("chk.interval"), c?.interval_s ?? 60, 10)}
          ${number("failure_threshold", t("chk.failures"), c?.failure_threshold ?? 1, 1)}
          ${number("success_threshold", t("chk.successes"), c?.success_threshold ?? 1, 1)}
          ${http
            ? html`<label class="check"><input type="checkbox" name="follow_redirects" id="check-follow" ?checked=${flag("follow_redirects")} />${t("chk.redirects")}</label>
                <label class="check"><input type="checkbox" name="verify_tls" id="check-verify" ?checked=${flag("verify_tls")} />${t("chk.verifyTls")}</label>`
            : nothing}
          <label class="check"><input type="checkbox" name="enabled" id="check-enabled" ?checked=${c?.enabled ?? true} />${t("chk.enabled")}</label>
          <label class="field wide"><span>${t("chk.conditions")}</span>
            <textarea name="conditions" id="check-conditions" rows="3" class="mono">${c ? JSON.stringify(c.conditions) : http ? DEFAULT_CONDITIONS : "[]"}</textarea>${err("conditions")}</label>
          <label class="field"><span>${t("chk.combine")}</span><select name="combine" id="check-combine">
            ${(["all", "any"] as const).map((k) => html`<option value=${k} ?selected=${k === (c?.combine ?? "all")}>${t(`chk.combine.${k}`)}</option>`)}</select>${err("combine")}</label>
          <button class="btn" type="submit" id="check-submit">${t("chk.save")}</button>
          ${c ? html`<button class="btn" type="button" id="check-cancel" @click=${() => this.edit(null)}>${t("chk.cancel")}</button>` : nothing}
          ${err("") || err("enabled")}
        </form>`,
    );
  }

  dispose(): void {}
}

function lastText(r: Check["last"]) {
  if (!r) return html`<span class="muted">${t("chk.never")}</span>`;
  const what = r.failed_condition ?? r.error;
  return html`<span class="when">${fmtTime(r.ts_ms, true)}</span>
    ${r.status_code !== null && r.status_code !== undefined ? html` <span class="code mono">${r.status_code}</span>` : nothing}
    ${r.duration_ms !== null && r.duration_ms !== undefined ? html` <span class="ms">${Math.round(r.duration_ms)} ms</span>` : nothing}
    ${what ? html`<div class="why bad-text">${what}</div>` : nothing}
    ${r.tls_days_left !== null && r.tls_days_left !== undefined
      ? html`<div class="tls muted">${tf("chk.tlsDays", { days: r.tls_days_left.toFixed(1) })}</div>`
      : nothing}`;
}

/** Recent response times as a line, one dot per result coloured by its status. */
function sparkline(rows: Check["recent"]) {
  const w = 140, hgt = 28, pad = 3;
  const timed = rows.filter((r) => r.duration_ms !== null && r.duration_ms !== undefined);
  if (!timed.length) return nothing;
  const max = Math.max(...timed.map((r) => r.duration_ms ?? 0), 1);
  const x = (i: number) => pad + (timed.length === 1 ? (w - 2 * pad) / 2 : (i * (w - 2 * pad)) / (timed.length - 1));
  const y = (v: number) => hgt - pad - (v / max) * (hgt - 2 * pad);
  const points = timed.map((r, i) => `${x(i).toFixed(1)},${y(r.duration_ms ?? 0).toFixed(1)}`).join(" ");
  return html`<svg class="sparkline" width=${w} height=${hgt} viewBox=${`0 0 ${w} ${hgt}`} role="img"
      aria-label=${`${Math.round(max)} ms max`} data-points=${timed.length} data-max=${Math.round(max)}>
    ${svg`<polyline points=${points} fill="none" stroke="currentColor" stroke-width="1.2"></polyline>`}
    ${timed.map((r, i) => svg`<circle class=${`dot ${r.status}`} cx=${x(i).toFixed(1)} cy=${y(r.duration_ms ?? 0).toFixed(1)} r="2"></circle>`)}
  </svg>`;
}
