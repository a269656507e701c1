// E-mail verification (`#/verify?login=…`): the six-digit code the server e-mailed, a
// countdown of its five minutes (from the sign-up's `expires_s`, restarted by Resend),
// and Resend. A good code signs the user in (their own organisation is made then) and
// opens `next`.

import { accounts } from "../api/accounts";
import { html, nothing, view } from "../dom";
import { t, tf } from "../i18n";
import type { Ctx, PageView } from "../page";
import { errorText } from "./alerting";
import { card, signedIn, withNext } from "./account_card";

const CODE_SECONDS = 300;

export function createVerify(ctx: Ctx): PageView {
  return new Verify(ctx);
}

class Verify implements PageView {
  readonly el = document.createElement("div");
  private error = "";
  private note = "";
  private busy = false;
  private deadline: number;
  private readonly timer: number;

  constructor(private ctx: Ctx) {
    this.el.className = "page verify";
    this.el.id = "page-verify";
    const expires = Number(ctx.state.extra.expires) || CODE_SECONDS;
    this.deadline = Date.now() + expires * 1000;
    this.timer = window.setInterval(() => this.render(), 1000);
    this.render();
  }

  async refresh(ctx: Ctx): Promise<void> {
    this.ctx = ctx;
    this.render();
  }

  private login(): string {
    return this.ctx.state.extra.login ?? "";
  }

  private async submit(e: Event): Promise<void> {
    e.preventDefault();
    const f = new FormData(e.target as HTMLFormElement);
    this.busy = true;
    this.render();
    try {
      await accounts.verify(String(f.get("login") ?? "").trim(), String(f.get("code") ?? "").trim());
      signedIn(this.ctx);
      return;
    } catch (err) {
      this.error = errorText(err);
    } finally {
      this.busy = false;
    }
    this.render();
  }

  private async resend(): Promise<void> {
    const input = this.el.querySelector<HTMLInputElement>("#verify-login");
    try {
      await accounts.resend(input?.value.trim() || this.login());
      this.deadline = Date.now() + CODE_SECONDS * 1000;
      this.error = "";
      this.note = t("acc.codeResent");
    } catch (err) {
      this.error = errorText(err);
    }
    this.render();
  }

  private render(): void {
    const left = Math.max(0, Math.round((this.deadline - Date.now()) / 1000));
    const clock = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}`;
    const email = this.ctx.state.extra.email;
    view(
      this.el,
      card(
        "verify-card",
        t("acc.verifyTitle"),
        html`<p class="form-note">${email ? tf("acc.codeSentTo", { email }) : t("acc.codeSent")}</p>
        <form class="account-form" id="verify-form" @submit=${(e: Event) => void this.submit(e)}>
          <label class="field"><span>${t("acc.login")}</span>
            <input name="login" id="verify-login" .defaultValue=${this.login()} autocomplete="username" required /></label>
          <label class="field"><span>${t("acc.code")}</span>
            <input name="code" id="verify-code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" required /></label>
          <p class="countdown" id="verify-countdown" data-left=${left} data-expired=${left === 0 ? "1" : "0"}>
            ${left ? tf("acc.codeExpiresIn", { clock }) : t("acc.codeExpired")}</p>
          ${this.note ? html`<p class="form-note" id="verify-note">${this.note}</p>` : nothing}
          ${this.error ? html`<p class="form-error" id="verify-error" role="alert">${this.error}</p>` : nothing}
          <button class="btn primary" type="submit" id="verify-submit" ?disabled=${this.busy}>${t("acc.verify")}</button>
          <button class="btn" type="button" id="verify-resend" @click=${() => void this.resend()}>${t("acc.resend")}</button>
        </form>`,
        html`<a id="to-login" href=${withNext(this.ctx, "login")}>${t("acc.toLogin")}</a>`,
      ),
    );
  }

  dispose(): void {
    window.clearInterval(this.timer);
  }
}
