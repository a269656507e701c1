// Sign-up: user id, e-mail, password and organisation name, with the rules of
// `GET /auth/policy` beside the user id and the password, each ticked as it is met while
// typing; the server's 400 beside the field it names. Then the verification page, where
// the e-mailed code is typed.

import { accounts, type Policy } from "../api/accounts";
import { html, nothing, view } from "../dom";
import { t } from "../i18n";
import type { Ctx, PageView } from "../page";
import { errorText, fieldErrors } from "./alerting";
import { card, fieldError, policy, ruleList, withNext } from "./account_card";

const FIELDS = ["login", "email", "password", "organisation"] as const;

export function createSignup(ctx: Ctx): PageView {
  return new Signup(ctx);
}

class Signup implements PageView {
  readonly el = document.createElement("div");
  private policy: Policy | null = null;
  private errors: Partial<Record<string, string>> = {};
  private login = "";
  private password = "";
  private busy = false;

  constructor(private ctx: Ctx) {
    this.el.className = "page signup";
    this.el.id = "page-signup";
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
    const body = { login: text("login"), email: text("email"), password: String(f.get("password") ?? ""), organisation: text("organisation") || undefined };
    this.busy = true;
    this.render();
    try {
      const made = await accounts.signup(body);
      location.hash = withNext(this.ctx, "verify", { login: made.login, email: made.email, expires: String(made.expires_s) });
      return;
    } catch (err) {
      this.errors = fieldErrors(errorText(err), FIELDS);
    } finally {
      this.busy = false;
    }
    this.render();
  }

  private render(): void {
    const p = this.policy;
    const typed = (e: Event) => {
      const el = e.target as HTMLInputElement;
      if (el.name === "login") this.login = el.value;
      if (el.name === "password") this.password = el.value;
      this.render();
    };
    const closed = p !== null && !p.signup;
    view(
      this.el,
      card(
        "signup-card",
        t("acc.signupTitle"),
        closed
          ? html`<p class="form-note" id="signup-closed">${t("acc.signupClosed")}</p>`
          : html`<form class="account-form" id="signup-form" @submit=${(e: Event) => void this.submit(e)} @input=${typed}>
          <label class="field"><span>${t("acc.login")}</span>
            <input name="login" id="signup-login" autocomplete="username" required />
            ${p ? ruleList("login-rules", p.login_rules, this.login, p.login_pattern) : nothing}${fieldError(this.errors, "login")}</label>
          <label class="field"><span>${t("acc.email")}</span>
            <input name="email" id="signup-email" type="email" autocomplete="email" required />${fieldError(this.errors, "email")}</label>
          <label class="field"><span>${t("acc.password")}</span>
            <input name="password" id="signup-password" type="password" autocomplete="new-password" required />
            ${p ? ruleList("password-rules", p.password_rules, this.password) : nothing}${fieldError(this.errors, "password")}</label>
          <label class="field"><span>${t("acc.organisation")}</span>
            <input name="organisation" id="signup-organisation" autocomplete="organization" />
            <span class="form-note">${t("acc.organisationHint")}</span>${fieldError(this.errors, "organisation")}</label>
          ${this.errors[""] ? html`<p class="form-error" id="signup-error" role="alert">${this.errors[""]}</p>` : nothing}
          <button class="btn primary" type="submit" id="signup-submit" ?disabled=${this.busy}>${t("acc.signUp")}</button>
        </form>`,
        html`<a id="to-login" href=${withNext(this.ctx, "login")}>${t("acc.toLogin")}</a>`,
      ),
    );
  }

  dispose(): void {}
}
