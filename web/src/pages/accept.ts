// An invitation (`#/accept?token=bsi_…`, the link the admin copied or the e-mail
// carried). Signed in: who you are and Accept (you join the organisation, the session
// switches to it and the dashboard opens). Not signed in: sign in or sign up first; both
// come back here (`next`).

import { ApiError } from "../api";
import { accounts, type Session } from "../api/accounts";
import { setSession } from "../access";
import { html, nothing, view } from "../dom";
import { t, tf } from "../i18n";
import type { Ctx, PageView } from "../page";
import { errorText } from "./alerting";
import { card } from "./account_card";

export function createAccept(ctx: Ctx): PageView {
  return new Accept(ctx);
}

class Accept implements PageView {
  readonly el = document.createElement("div");
  /** undefined: asking; null: not signed in. */
  private session: Session | null | undefined = undefined;
  private error = "";

  constructor(private ctx: Ctx) {
    this.el.className = "page accept";
    this.el.id = "page-accept";
    this.render();
  }

  async refresh(ctx: Ctx, signal: AbortSignal): Promise<void> {
    this.ctx = ctx;
    try {
      this.session = await accounts.session(signal);
    } catch (err) {
      if ((err as Error).name === "AbortError") throw err;
      if (err instanceof ApiError && err.status === 401) this.session = null;
      else this.error = errorText(err);
    }
    this.render();
  }

  private token(): string {
    return this.ctx.state.extra.token ?? "";
  }

  private async accept(): Promise<void> {
    try {
      await accounts.accept(this.token());
      setSession(null);
      location.hash = "#/dashboard";
      return;
    } catch (err) {
      this.error = errorText(err);
    }
    this.render();
  }

  private render(): void {
    const s = this.session;
    const back = new URLSearchParams({ next: `accept?token=${this.token()}`, lang: this.ctx.state.lang, theme: this.ctx.state.theme });
    const body =
      s === undefined
        ? html`<p class="form-note">${t("common.loading")}</p>`
        : s === null
          ? html`<p class="form-note" id="accept-sign-in">${t("acc.acceptSignInFirst")}</p>
              <div class="account-links">
                <a class="btn primary" id="accept-login" href=${`#/login?${back.toString()}`}>${t("acc.signIn")}</a>
                <a class="btn" id="accept-signup" href=${`#/signup?${back.toString()}`}>${t("acc.signUp")}</a>
              </div>`
          : html`<p class="form-note" id="accept-as">${tf("acc.acceptAs", { login: s.user.login, email: s.user.email })}</p>
              <button class="btn primary" id="accept-submit" ?disabled=${!this.token()} @click=${() => void this.accept()}>${t("acc.accept")}</button>`;
    view(
      this.el,
      card(
        "accept-card",
        t("acc.acceptTitle"),
        html`${body}${this.error ? html`<p class="form-error" id="accept-error" role="alert">${this.error}</p>` : nothing}`,
      ),
    );
  }

  dispose(): void {}
}
