// Audit log (`#/audit`, admins): who did what in the organisation — sign-ins, key, token
// and role changes, rule changes, captures — newest first, filtered by actor, action and
// time range (kept in the URL: `actor=`, `action=`, `from=`, `to=` as local
// datetime-local values); a click on a row shows its detail as JSON.

import "./accounts.css";
import { accounts, type AuditEntry } from "../api/accounts";
import { hasRole } from "../access";
import { emptyState, errorBox, html, nothing, Panel, view } from "../dom";
import { fmtDay } from "../format";
import { t, tf } from "../i18n";
import type { Ctx, PageView } from "../page";
import { onRowKey, table } from "./table";

const LIMIT = 500;

export function createAudit(ctx: Ctx): PageView {
  return new Audit(ctx);
}

class Audit implements PageView {
  readonly el = document.createElement("div");
  private readonly form = document.createElement("section");
  private readonly panel = new Panel(t("aud.title"), { id: "audit-panel" });
  private entries: AuditEntry[] = [];
  private open = -1;

  constructor(private ctx: Ctx) {
    this.el.className = "page audit";
    this.el.id = "page-audit";
    this.form.className = "panel";
    this.el.append(this.form, this.panel.el);
    this.renderForm();
  }

  private filters(): { actor?: string; action?: string; from?: number; to?: number } {
    const x = this.ctx.state.extra;
    // The API takes epoch ms (or ISO-8601 in UTC); the form's inputs are local time.
    const ms = (v: string | undefined) => (v && Number.isFinite(new Date(v).getTime()) ? new Date(v).getTime() : undefined);
    return { actor: x.actor || undefined, action: x.action || undefined, from: ms(x.from_t), to: ms(x.to_t) };
  }

  async refresh(ctx: Ctx, signal: AbortSignal): Promise<void> {
    this.ctx = ctx;
    if (!hasRole("admin")) {
      this.panel.setStatus(emptyState(t("aud.adminOnly")));
      return;
    }
    try {
      this.entries = await accounts.audit({ ...this.filters(), limit: LIMIT }, signal);
    } catch (err) {
      if ((err as Error).name === "AbortError") throw err;
      this.panel.setStatus(errorBox(err), true);
      return;
    }
    this.renderTable();
  }

  private renderForm(): void {
    const x = this.ctx.state.extra;
    const apply = (e: Event) => {
      e.preventDefault();
      const f = new FormData(e.target as HTMLFormElement);
      const v = (k: string) => String(f.get(k) ?? "").trim();
      this.ctx.setExtra({ actor: v("actor"), action: v("action"), from_t: v("from_t"), to_t: v("to_t") });
      this.open = -1;
      void this.refresh(this.ctx, new AbortController().signal);
    };
    view(
      this.form,
      html`<form class="search-form filter-bar" id="audit-form" @submit=${apply}>
        <label class="field"><span>${t("aud.actor")}</span><input name="actor" id="audit-actor" .defaultValue=${x.actor ?? ""} /></label>
        <label class="field"><span>${t("aud.action")}</span><input name="action" id="audit-action" placeholder="auth.login" .defaultValue=${x.action ?? ""} /></label>
        <label class="field"><span>${t("top.from")}</span><input type="datetime-local" name="from_t" id="audit-from" .defaultValue=${x.from_t ?? ""} /></label>
        <label class="field"><span>${t("top.to")}</span><input type="datetime-local" name="to_t" id="audit-to" .defaultValue=${x.to_t ?? ""} /></label>
        <button class="btn primary" type="submit" id="audit-apply">${t("common.search")}</button>
      </form>`,
    );
  }

  private renderTable(): void {
    const n = this.entries.length;
    this.panel.setTitle(n >= LIMIT ? tf("aud.titleCapped", { n }) : `${t("aud.title")} (${n})`);
    if (!n) {
      view(this.panel.body, nothing);
      this.panel.setStatus(emptyState(t("aud.none")));
      return;
    }
    const toggle = (i: number) => {
      this.open = this.open === i ? -1 : i;
      this.renderTable();
    };
    const rows = this.entries.map((e, i) => ({ e, i }));
    view(
      this.panel.body,
      html`${table({
        id: "audit-table",
        head: [t("aud.at"), t("aud.actor"), t("aud.action"), t("aud.target"), t("aud.ip")],
        rows,
        key: ({ e, i }) => `${e.at_us}:${i}`,
        row: ({ e, i }) => html`<tr class="clickable ${this.open === i ? "selected" : ""}" tabindex="0" data-action=${e.action}
            @click=${() => toggle(i)} @keydown=${onRowKey(() => toggle(i))}>
          <td class="at">${fmtDay(e.at_us / 1000)}</td><td class="actor">${e.actor}</td><td class="action mono">${e.action}</td>
          <td class="target">${e.target ?? ""}</td><td class="ip">${e.ip ?? ""}</td></tr>`,
      })}
      ${this.open >= 0 && this.entries[this.open]
        ? html`<pre class="audit-detail mono" id="audit-detail">${JSON.stringify(this.entries[this.open], null, 2)}</pre>`
        : nothing}`,
    );
    this.panel.setStatus(null);
  }

  dispose(): void {}
}
