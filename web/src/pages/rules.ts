// Rules: the tenant's alert rules (name, kind, severity, for, enabled, builtin) with
// enable/disable and Edit per row, and one form that creates a rule (POST) or edits the
// chosen one (PUT /rules/{id}; the fields the form does not show are kept as they were).
// Its kind-specific spec is JSON text; the server's 400 is shown next to the field its
// message names (`spec.op: ...` beside the spec). "Preview" sends the form to
// POST /rules/preview over the chosen stretch of the past and draws what the rule would
// have done: the value per label set, the threshold as a line, firing stretches shaded
// and pending ones lighter, and the would-be state changes listed under the chart.
// Tests read the chart element: `data-points`, `data-series`, `data-firing` and
// `data-pending` (the drawn stretches as [from, to] ms), `data-threshold`.

import { post } from "../api";
import type { Ok } from "../api/types";
import { Chart, baseOption, echarts, palette, timeAxis, valueAxis } from "../charts";
import { emptyState, errorBox, h, html, nothing, Panel, view, writeHint } from "../dom";
import { canWrite } from "../access";
import { fmtNum, fmtTime } from "../format";
import { t, tf } from "../i18n";
import type { Ctx, PageView } from "../page";
import { alerting, errorText, labelChips, type Rule } from "./alerting";
import { sevBadge } from "./kube";
import { table } from "./table";
import { MarkAreaComponent, MarkLineComponent } from "echarts/components";

// The shared chart setup registers markLine; the preview's shading needs markArea too.
echarts.use([MarkAreaComponent, MarkLineComponent]);

const FIELDS = ["name", "kind", "severity", "for", "interval", "spec"] as const;
/** Preview stretches offered, seconds back from now (the server refuses more than 720
 *  evaluations at the rule's interval, naming `from`). */
const RANGES = [3600, 6 * 3600, 12 * 3600, 86_400, 7 * 86_400] as const;
const DEFAULT_RANGE = 6 * 3600;
const SPEC = '{"figure": "error_rate", "op": ">", "value": 0.05, "window_s": 300}';

type Preview = Ok<"/api/v1/rules/preview", "post">;
type LabelSet = Preview["label_sets"][number];

export function createRules(): PageView {
  return new Rules();
}

class Rules implements PageView {
  readonly el: HTMLElement;
  private readonly panel = new Panel(t("ru.title"), { id: "rules-panel" });
  private readonly formBox = document.createElement("section");
  private readonly previewPanel = new Panel(t("ru.previewTitle"), { id: "preview-panel", hint: t("ru.previewHint") });
  private readonly previewList = h("div", { id: "preview-changes" });
  private readonly chart: Chart;
  private errors: Partial<Record<string, string>> = {};
  private rules: Rule[] = [];
  /** The rule the form edits; null: the form creates one. */
  private editing: Rule | null = null;
  private range: number = DEFAULT_RANGE;

  constructor() {
    this.el = document.createElement("div");
    this.el.className = "page rules";
    this.el.id = "page-rules";
    this.formBox.className = "panel";
    this.formBox.id = "rule-form-panel";
    const box = h("div", { class: "chart-box tall", id: "preview-chart" });
    this.chart = new Chart(box, { renderer: "svg" });
    this.previewPanel.body.append(box, this.previewList);
    this.previewPanel.el.hidden = true;
    this.el.append(this.formBox, this.previewPanel.el, this.panel.el);
    this.renderForm();
  }

  async refresh(_ctx: Ctx, signal: AbortSignal): Promise<void> {
    try {
      this.rules = (await alerting.rules(signal)).rules;
    } catch (err) {
      if ((err as Error).name === "AbortError") throw err;
      this.panel.setStatus(errorBox(err), true);
      return;
    }
    this.renderTable();
  }

  private renderTable(): void {
    this.panel.setTitle(`${t("ru.title")} (${this.rules.length})`);
    if (!this.rules.length) {
      view(this.panel.body, nothing);
      this.panel.setStatus(emptyState(t("ru.none")));
      return;
    }
    const toggle = async (r: Rule) => {
      try {
        const next = await alerting.putRule(r.id, { ...written(r), enabled: !r.enabled });
        if (next) this.rules = this.rules.map((x) => (x.id === r.id ? next : x));
        this.renderTable();
      } catch (err) {
        this.panel.setStatus(errorBox(err), true);
      }
    };
    const edit = (r: Rule) => {
      this.editing = r;
      this.errors = {};
      this.renderForm(true);
      this.formBox.scrollIntoView({ block: "nearest" });
    };
    view(
      this.panel.body,
      table({
        id: "rules-table",
        head: [t("ru.name"), t("ru.kind"), t("ru.severity"), t("ru.for"), t("ru.enabled"), t("ru.builtin"), ""],
        rows: this.rules,
        key: (r) => r.id,
        row: (r) => html`<tr data-rule=${r.id} data-enabled=${String(r.enabled)}>
          <td class="name">${r.name}</td>
          <td class="kind">${r.kind}</td>
          <td>${sevBadge(r.severity)}</td>
          <td class="for">${r.for}</td>
          <td class="enabled">${r.enabled ? t("ru.yes") : t("ru.no")}</td>
          <td class="builtin">${r.builtin ? t("ru.yes") : ""}</td>
          <td>${canWrite()
            ? html`<button class="btn small edit-btn" @click=${() => edit(r)}>${t("ru.edit")}</button>
            <button class="btn small toggle-btn" @click=${() => void toggle(r)}>${r.enabled ? t("ru.disable") : t("ru.enable")}</button>`
            : nothing}</td>
        </tr>`,
      }),
    );
    this.panel.setStatus(null);
  }

  /** The rule the form holds, as the API takes it; null (and the error shown) when the
   *  spec is not JSON. Editing, the fields the form does not show are the rule's own. */
  private formBody(form: HTMLFormElement): Record<string, unknown> | null {
    const f = new FormData(form);
    const text = (k: string) => String(f.get(k) ?? "").trim();
    let spec: unknown;
    try {
      spec = JSON.parse(text("spec") || "{}");
    } catch (err) {
      this.errors = { spec: `spec: ${(err as Error).message}` };
      this.renderForm();
      return null;
    }
    const shown = {
      name: text("name"), kind: text("kind"), severity: text("severity"),
      for: text("for") || "0s", interval: text("interval") || "1m", spec,
    };
    return this.editing ? { ...written(this.editing), ...shown } : shown;
  }

  private renderForm(reset = false): void {
    const form = () => this.formBox.querySelector<HTMLFormElement>("#rule-form");
    const submit = async (e: Event) => {
      e.preventDefault();
      const body = this.formBody(e.target as HTMLFormElement);
      if (!body) return;
      const editing = this.editing;
      try {
        if (editing) {
          const saved = await alerting.putRule(editing.id, body);
          if (saved) this.rules = this.rules.map((x) => (x.id === editing.id ? saved : x));
          this.editing = null;
          reset = true;
        } else {
          const rule = await alerting.createRule(body);
          this.rules = [...this.rules, rule].sort((a, b) => a.name.localeCompare(b.name));
        }
        this.errors = {};
        this.renderTable();
      } catch (err) {
        this.errors = fieldErrors(errorText(err));
      }
      this.renderForm(reset);
    };
    const preview = async () => {
      const el = form();
      const body = el && this.formBody(el);
      if (!body) return;
      // On a whole minute: every evaluation's window then starts and ends on a step
      // boundary, and the server reads each series once for the whole preview (~10x faster).
      const to = Math.floor(Date.now() / 60_000) * 60_000;
      this.previewPanel.el.hidden = false;
      this.previewPanel.setStatus(emptyState(t("ru.previewing")));
      try {
        const got = await post<Preview>("/rules/preview", { ...body, from: to - this.range * 1000, to });
        this.errors = {};
        this.drawPreview(got);
      } catch (err) {
        this.errors = fieldErrors(errorText(err));
        this.previewPanel.setStatus(errorBox(err), true);
      }
      this.renderForm();
    };
    const cancel = () => {
      this.editing = null;
      this.errors = {};
      this.renderForm(true);
    };
    const err = (k: string) => (this.errors[k] ? html`<span class="field-error" data-field=${k}>${this.errors[k]}</span>` : nothing);
    const r = this.editing;
    if (reset) {
      // lit-html keeps what was typed in an input it already drew; start from the rule.
      view(this.formBox, nothing);
    }
    // The form creates, edits and previews (a POST): none of it for a viewer.
    if (!canWrite()) {
      view(this.formBox, html`<header><h3>${t("ru.title")}</h3></header>${writeHint()}`);
      return;
    }
    view(
      this.formBox,
      html`<header><h3 id="rule-form-title">${r ? tf("ru.editing", { name: r.name }) : t("ru.create")}</h3><span class="hint">${t("ru.createHint")}</span></header>
        <form class="search-form rule-form" id="rule-form" data-editing=${r?.id ?? ""} @submit=${submit}>
          <label class="field"><span>${t("ru.name")}</span><input name="name" id="rule-name" .defaultValue=${r?.name ?? ""} />${err("name")}</label>
          <label class="field"><span>${t("ru.kind")}</span>
            <select name="kind" id="rule-kind">${["threshold", "event", "predictive"].map((k) => html`<option value=${k} ?selected=${(r?.kind ?? "threshold") === k}>${k}</option>`)}</select>${err("kind")}</label>
          <label class="field"><span>${t("ru.severity")}</span>
            <select name="severity" id="rule-severity">${["warning", "critical", "info"].map((k) => html`<option value=${k} ?selected=${(r?.severity ?? "warning") === k}>${k}</option>`)}</select>${err("severity")}</label>
          <label class="field"><span>${t("ru.for")}</span><input name="for" id="rule-for" .defaultValue=${r?.for ?? "0s"} />${err("for")}</label>
          <label class="field"><span>${t("ru.interval")}</span><input name="interval" id="rule-interval" .defaultValue=${r?.interval ?? "1m"} />${err("interval")}</label>
          <label class="field spec-field"><span>${t("ru.spec")}</span>
            <textarea name="spec" id="rule-spec" rows="3" class="mono" .defaultValue=${r ? JSON.stringify(r.spec) : SPEC}></textarea>${err("spec")}</label>
          <label class="field"><span>${t("ru.previewRange")}</span>
            <select id="preview-range" @change=${(e: Event) => (this.range = Number((e.target as HTMLSelectElement).value))}>
              ${RANGES.map((s) => html`<option value=${s} ?selected=${s === this.range}>${rangeLabel(s)}</option>`)}
            </select></label>
          <button class="btn" type="button" id="rule-preview-btn" @click=${() => void preview()}>${t("ru.preview")}</button>
          <button class="btn" type="submit" id="rule-submit">${r ? t("ru.saveEdit") : t("ru.save")}</button>
          ${r ? html`<button class="btn" type="button" id="rule-cancel" @click=${cancel}>${t("ru.cancel")}</button>` : nothing}
          ${err("")}
        </form>`,
    );
  }

  private drawPreview(p: Preview): void {
    const pal = palette();
    const from = p.from_ms - p.step_s * 1000;
    const end = (to: number | null | undefined) => to ?? p.to_ms;
    const stretches = (state: string) =>
      p.label_sets.flatMap((ls) => ls.intervals.filter((i) => i.state === state).map((i) => [i.from_ms, end(i.to_ms)]));
    const firing = stretches("firing");
    const pending = stretches("pending");
    const points = p.label_sets.reduce((n, ls) => n + ls.points.length, 0);
    const series = p.label_sets.map((ls, k) => ({
      name: labelText(ls),
      type: "line",
      showSymbol: false,
      connectNulls: false,
      data: ls.points.map((pt) => [pt.t, pt.value]),
      markArea: {
        silent: true,
        data: ls.intervals.map((i) => [
          { xAxis: i.from_ms, itemStyle: { color: i.state === "firing" ? pal.bad : pal.warn, opacity: i.state === "firing" ? 0.28 : 0.12 } },
          { xAxis: end(i.to_ms) },
        ]),
      },
      markLine:
        k === 0 && p.threshold !== null
          ? {
              silent: true,
              symbol: ["none", "none"],
              label: { formatter: `${p.op ?? ""} ${fmtNum(p.threshold, 3)}`, color: pal.muted, position: "insideEndTop" },
              lineStyle: { color: pal.bad, type: "dashed" },
              data: [{ yAxis: p.threshold }],
            }
          : undefined,
    }));
    const title = tf("ru.previewSummary", { evaluations: p.evaluations, sets: p.seen, firing: firing.length });
    this.previewPanel.setTitle(`${t("ru.previewTitle")} — ${title}`);
    // The status first: a chart drawn while its box is hidden is drawn at 0 x 0.
    if (!p.label_sets.length) this.previewPanel.setStatus(emptyState(t("ru.previewNone")));
    else if (p.truncated) this.previewPanel.setStatus(emptyState(tf("ru.truncated", { shown: p.label_sets.length, seen: p.seen })), true);
    else this.previewPanel.setStatus(null);
    const el = this.chart.el;
    el.dataset.series = String(series.length);
    el.dataset.firing = JSON.stringify(firing);
    el.dataset.pending = JSON.stringify(pending);
    el.dataset.threshold = p.threshold === null ? "" : String(p.threshold);
    this.chart.set(
      { ...baseOption(), xAxis: timeAxis({ from, to: p.to_ms }), yAxis: valueAxis((v) => fmtNum(v, 3)), series },
      points,
      true,
    );
    const changes = p.label_sets
      .flatMap((ls) => ls.changes.map((c) => ({ ...c, ls })))
      .sort((a, b) => a.at_ms - b.at_ms);
    view(
      this.previewList,
      changes.length
        ? table({
            id: "preview-table",
            head: [t("ru.when"), t("ru.labels"), t("ru.change"), t("ru.value"), t("ru.summary")],
            rows: changes,
            key: (c) => `${labelText(c.ls)}@${c.at_ms}`,
            row: (c) => html`<tr data-at=${c.at_ms} data-new=${c.new}>
              <td class="when">${fmtTime(c.at_ms, true)}</td>
              <td>${labelChips(c.ls.labels)}</td>
              <td class="change">${c.old} → ${c.new}</td>
              <td class="value">${c.value === null ? "" : fmtNum(c.value, 3)}</td>
              <td class="summary">${c.summary}</td>
            </tr>`,
          })
        : html`<p class="hint" id="preview-no-changes">${t("ru.noChanges")}</p>`,
    );
  }

  dispose(): void {
    this.chart.dispose();
  }
}

/** A rule as PUT takes it: without the server-made fields. */
function written(r: Rule): Record<string, unknown> {
  const { id: _id, builtin: _b, ...body } = r;
  return body;
}

function labelText(ls: LabelSet): string {
  const keys = Object.keys(ls.labels).sort();
  return keys.length ? keys.map((k) => `${k}=${ls.labels[k]}`).join(" ") : "—";
}

function rangeLabel(seconds: number): string {
  return seconds >= 86_400 ? tf("ru.days", { n: seconds / 86_400 }) : tf("ru.hours", { n: seconds / 3600 });
}

/** A 400's `detail` split on `; ` and put beside the field each part names (its first
 *  dotted segment: `spec.op: ...` → spec); a part naming no form field goes under the form. */
function fieldErrors(detail: string): Partial<Record<string, string>> {
  const out: Partial<Record<string, string>> = {};
  for (const part of detail.split("; ")) {
    const head = part.split(":")[0].split(".")[0].split("[")[0].trim();
    const k = (FIELDS as readonly string[]).includes(head) ? head : "";
    out[k] = out[k] ? `${out[k]}; ${part}` : part;
  }
  return out;
}
