// Forgotten password: the user id or e-mail; the server e-mails a code when it knows the
// account (and answers 202 either way, so this page tells nobody whether it exists),
// then the reset page takes the code and the new password.

import { accounts } from "../api/accounts";
import { html, nothing, view } from "../dom";
import { t } from "../i18n";
import type { Ctx, PageView } from "../page";
import { errorText } from "./alerting";
import { card, withNext } from "./account_card";

export function createForgot(ctx: Ctx): PageView {
  return new Forgot(ctx);
}

class Forgot implements PageView {
  readonly el = document.createElement("div");
  private error = "";

  constructor(private ctx: Ctx) {
    this.el.className = "page forgot";
    this.el.id = "page-forgot";
    this.render();
  }

  async refresh(ctx: Ctx): Promise<void> {
    this.ctx = ctx;
    this.render();
  }

  private async submit(e: Event): Promise<void> {
    e.preventDefault();
    const login = String(new FormData(e.target as HTMLFormElement).get("login") ?? "").trim();
    try {
      await accounts.forgot(login);
      location.hash = withNext(this.ctx, "reset", { login });
      return;
    } catch (err) {
      this.error = errorText(err);
    }
    this.render();
  }

  private render(): void {
    view(
      this.el,
      card(
        "forgot-card",
        t("acc.forgotTitle"),
        html`<p class="form-note">${t("acc.forgotHint")}</p>
        <form class="account-form" id="forgot-form" @submit=${(e: Event) => void this.submit(e)}>
          <label class="field"><span>${t("acc.loginOrEmail")}</span>
            <input name="login" id="forgot-login" autocomplete="username" required /></label>
          ${this.error ? html`<p class="form-error" id="forgot-error" role="alert">${this.error}</p>` : nothing}
          <button class="btn primary" type="submit" id="forgot-submit">${t("acc.sendCode")}</button>
        </form>`,
        html`<a id="to-login" href=${withNext(this.ctx, "login")}>${t("acc.toLogin")}</a>`,
      ),
    );
  }

  dispose(): void {}
}
