// Sign-in (`#/login?next=<route>`): user id or e-mail and password; the server's message
// under the form on a refusal (wrong password, locked, not verified: then a link to
// the verification page). Links to sign-up (when the policy allows it) and to password
// reset, and "Sign in with <provider>" when OIDC is on.

import { ApiError } from "../api";
import { accounts, type Policy } from "../api/accounts";
import { html, nothing, view } from "../dom";
import { t, tf } from "../i18n";
import type { Ctx, PageView } from "../page";
import { errorText } from "./alerting";
import { card, policy, signedIn, withNext } from "./account_card";

export function createLogin(ctx: Ctx): PageView {
  return new Login(ctx);
}

class Login implements PageView {
  readonly el = document.createElement("div");
  private policy: Policy | null = null;
  private error = "";
  private unverified = "";
  private busy = false;

  constructor(private ctx: Ctx) {
    this.el.className = "page login";
    this.el.id = "page-login";
    this.render();
  }

  async refresh(ctx: Ctx, signal: AbortSignal): Promise<void> {
    this.ctx = ctx;
    try {
      this.policy = await policy(signal);
    } catch (err) {
      if ((err as Error).name === "AbortError") throw err;
      this.error = errorText(err);
    }
    this.render();
  }

  private async submit(e: Event): Promise<void> {
    e.preventDefault();
    const f = new FormData(e.target as HTMLFormElement);
    const login = String(f.get("login") ?? "").trim();
    this.busy = true;
    this.render();
    try {
      await accounts.login(login, String(f.get("password") ?? ""));
      signedIn(this.ctx);
      return;
    } catch (err) {
      this.error = errorText(err);
      // 403: the e-mail is not verified yet.
      this.unverified = err instanceof ApiError && err.status === 403 ? login : "";
    } finally {
      this.busy = false;
    }
    this.render();
  }

  private render(): void {
    const p = this.policy;
    const links = html`
      ${p?.signup ? html`<a id="to-signup" href=${withNext(this.ctx, "signup")}>${t("acc.toSignup")}</a>` : nothing}
      <a id="to-forgot" href=${withNext(this.ctx, "forgot")}>${t("acc.toForgot")}</a>`;
    view(
      this.el,
      card(
        "login-card",
        t("acc.loginTitle"),
        html`<form class="account-form" id="login-form" @submit=${(e: Event) => void this.submit(e)}>
          <label class="field"><span>${t("acc.loginOrEmail")}</span>
            <input name="login" id="login-login" autocomplete="username" required /></label>
          <label class="field"><span>${t("acc.password")}</span>
            <input name="password" id="login-password" type="password" autocomplete="current-password" required /></label>
          ${this.error ? html`<p class="form-error" id="login-error" role="alert">${this.error}</p>` : nothing}
          ${this.unverified
            ? html`<a id="to-verify" href=${withNext(this.ctx, "verify", { login: this.unverified })}>${t("acc.toVerify")}</a>`
            : nothing}
          <button class="btn primary" type="submit" id="login-submit" ?disabled=${this.busy}>${t("acc.signIn")}</button>
          ${p?.oidc.enabled
            ? html`<a class="btn oidc-btn" id="login-oidc" href="api/v1/auth/oidc/start">${tf("acc.oidc", { name: p.oidc.name })}</a>`
            : nothing}
        </form>`,
        links,
      ),
    );
  }

  dispose(): void {}
}
