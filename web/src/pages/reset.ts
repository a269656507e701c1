// Password reset (`#/reset?login=…`): the e-mailed code and the new password (the
// policy's rules beside it, ticked while typing); the server's 400 beside its field. A
// reset ends every session of the user, so the sign-in page follows.

import { accounts, type Policy } from "../api/accounts";
import { html, nothing, view } from "../dom";
import { t } from "../i18n";
import type { Ctx, PageView } from "../page";
import { errorText, fieldErrors } from "./alerting";
import { card, fieldError, policy, ruleList, withNext } from "./account_card";

const FIELDS = ["login", "code", "password"] as const;

export function createReset(ctx: Ctx): PageView {
  return new Reset(ctx);
}

class Reset implements PageView {
  readonly el = document.createElement("div");
  private policy: Policy | null = null;
  private errors: Partial<Record<string, string>> = {};
  private password = "";
  private done = false;

  constructor(private ctx: Ctx) {
    this.el.className = "page reset";
    this.el.id = "page-reset";
    this.render();
  }

  async refresh(ctx: Ctx, signal: AbortSignal): Promise<void> {
    this.ctx = ctx;
    try {
      this.policy = await policy(signal);
    } catch (err) {
      if ((err as Error).name === "AbortError") throw err;
      this.errors = { "": errorText(err) };
    }
    this.render();
  }

  private async submit(e: Event): Promise<void> {
    e.preventDefault();
    const f = new FormData(e.target as HTMLFormElement);
    const text = (k: string) => String(f.get(k) ?? "").trim();
    try {
      await accounts.reset(text("login"), text("code"), String(f.get("password") ?? ""));
      this.done = true;
      this.errors = {};
    } catch (err) {
      this.errors = fieldErrors(errorText(err), FIELDS);
    }
    this.render();
  }

  private render(): void {
    const p = this.policy;
    const typed = (e: Event) => {
      const el = e.target as HTMLInputElement;
      if (el.name === "password") {
        this.password = el.value;
        this.render();
      }
    };
    view(
      this.el,
      card(
        "reset-card",
        t("acc.resetTitle"),
        this.done
          ? html`<p class="form-note" id="reset-done">${t("acc.resetDone")}</p>`
          : html`<form class="account-form" id="reset-form" @submit=${(e: Event) => void this.submit(e)} @input=${typed}>
          <label class="field"><span>${t("acc.loginOrEmail")}</span>
            <input name="login" id="reset-login" .defaultValue=${this.ctx.state.extra.login ?? ""} autocomplete="username" required />${fieldError(this.errors, "login")}</label>
          <label class="field"><span>${t("acc.code")}</span>
            <input name="code" id="reset-code" inputmode="numeric" autocomplete="one-time-code" maxlength="6" required />${fieldError(this.errors, "code")}</label>
          <label class="field"><span>${t("acc.newPassword")}</span>
            <input name="password" id="reset-password" type="password" autocomplete="new-password" required />
            ${p ? ruleList("password-rules", p.password_rules, this.password) : nothing}${fieldError(this.errors, "password")}</label>
          ${this.errors[""] ? html`<p class="form-error" id="reset-error" role="alert">${this.errors[""]}</p>` : nothing}
          <button class="btn primary" type="submit" id="reset-submit">${t("acc.setPassword")}</button>
        </form>`,
        html`<a id="to-login" href=${withNext(this.ctx, "login")}>${t("acc.toLogin")}</a>`,
      ),
    );
  }

  dispose(): void {}
}
