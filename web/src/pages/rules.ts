// Rules: the tenant's alert rules (name, kind, severity, for, enabled, builtin) with
// enable/disable, and a create form whose kind-specific spec is JSON text; the server's
// 400 is shown next to the field its message names (`spec.op: ...` beside the spec).

import { emptyState, errorBox, html, nothing, Panel, view } from "../dom";
import { t } from "../i18n";
import type { Ctx, PageView } from "../page";
import { alerting, errorText, type Rule } from "./alerting";
import { sevBadge } from "./kube";
import { table } from "./table";

const FIELDS = ["name", "kind", "severity", "for", "interval", "spec"] as const;

export function createRules(): PageView {
  return new Rules();
}

class Rules implements PageView {
  readonly el: HTMLElement;
  private readonly panel = new Panel(t("ru.title"), { id: "rules-panel" });
  private readonly formBox = document.createElement("section");
  private errors: Partial<Record<string, string>> = {};
  private rules: Rule[] = [];

  constructor() {
    this.el = document.createElement("div");
    this.el.className = "page rules";
    this.el.id = "page-rules";
    this.formBox.className = "panel";
    this.el.append(this.formBox, this.panel.el);
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
      const { id: _id, builtin: _b, ...body } = r;
      try {
        const next = await alerting.putRule(r.id, { ...body, enabled: !r.enabled });
        if (next) this.rules = this.rules.map((x) => (x.id === r.id ? next : x));
        this.renderTable();
      } catch (err) {
        this.panel.setStatus(errorBox(err), true);
      }
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
          <td><button class="btn small toggle-btn" @click=${() => void toggle(r)}>${r.enabled ? t("ru.disable") : t("ru.enable")}</button></td>
        </tr>`,
      }),
    );
    this.panel.setStatus(null);
  }

  private renderForm(): void {
    const submit = async (e: Event) => {
      e.preventDefault();
      const f = new FormData(e.target as HTMLFormElement);
      const text = (k: string) => String(f.get(k) ?? "").trim();
      let spec: unknown;
      try {
        spec = JSON.parse(text("spec") || "{}");
      } catch (err) {
        this.errors = { spec: `spec: ${(err as Error).message}` };
        this.renderForm();
        return;
      }
      try {
        const rule = await alerting.createRule({
          name: text("name"), kind: text("kind"), severity: text("severity"),
          for: text("for") || "0s", interval: text("interval") || "1m", spec,
        });
        this.errors = {};
        this.rules = [...this.rules, rule].sort((a, b) => a.name.localeCompare(b.name));
        this.renderTable();
      } catch (err) {
        this.errors = fieldErrors(errorText(err));
      }
      this.renderForm();
    };
    const err = (k: string) => (this.errors[k] ? html`<span class="field-error" data-field=${k}>${this.errors[k]}</span>` : nothing);
    view(
      this.formBox,
      html`<header><h3>${t("ru.create")}</h3><span class="hint">${t("ru.createHint")}</span></header>
        <form class="search-form rule-form" id="rule-form" @submit=${submit}>
          <label class="field"><span>${t("ru.name")}</span><input name="name" id="rule-name" />${err("name")}</label>
          <label class="field"><span>${t("ru.kind")}</span>
            <select name="kind" id="rule-kind">${["threshold", "event", "predictive"].map((k) => html`<option value=${k}>${k}</option>`)}</select>${err("kind")}</label>
          <label class="field"><span>${t("ru.severity")}</span>
            <select name="severity" id="rule-severity">${["warning", "critical", "info"].map((k) => html`<option value=${k}>${k}</option>`)}</select>${err("severity")}</label>
          <label class="field"><span>${t("ru.for")}</span><input name="for" id="rule-for" value="0s" />${err("for")}</label>
          <label class="field"><span>${t("ru.interval")}</span><input name="interval" id="rule-interval" value="1m" />${err("interval")}</label>
          <label class="field spec-field"><span>${t("ru.spec")}</span>
            <textarea name="spec" id="rule-spec" rows="3" class="mono">{"figure": "error_rate", "op": ">", "value": 0.05, "window_s": 300}</textarea>${err("spec")}</label>
          <button class="btn" type="submit" id="rule-submit">${t("ru.save")}</button>
          ${err("")}
        </form>`,
    );
  }

  dispose(): void {}
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
