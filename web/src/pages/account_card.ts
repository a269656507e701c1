// What the public pages (sign-in, sign-up, verification, password reset, invitation)
// share: a centred card outside the shell, the field-error split of the server's 400s,
// the `next` route they return to, and the policy's rules checked as the user types.

import "./accounts.css";
import type { TemplateResult } from "lit-html";
import { accounts, type Policy } from "../api/accounts";
import { setSession } from "../access";
import { html, nothing } from "../dom";
import { t } from "../i18n";
import type { Ctx } from "../page";

/** The card every public page draws: brand, title, body, links under it. */
export function card(id: string, title: string, body: TemplateResult, links: TemplateResult | typeof nothing = nothing): TemplateResult {
  return html`<div class="account-card" id=${id}>
    <div class="brand"><span class="beacon"></span><b>${t("app.title")}</b></div>
    <h2>${title}</h2>
    ${body}
    <div class="account-links">${links}</div>
  </div>`;
}

/** The route to return to after signing in (`?next=`), the dashboard by default. */
export function nextRoute(ctx: Ctx): string {
  const next = ctx.state.extra.next ?? "";
  // Only a route of this console: never an address elsewhere.
  return next && !next.includes("//") && !next.startsWith("login") ? next : "dashboard";
}

/** `?next=` carried on to another public page. */
export function withNext(ctx: Ctx, route: string, extra: Record<string, string> = {}): string {
  const q = new URLSearchParams({ ...extra, lang: ctx.state.lang, theme: ctx.state.theme });
  if (ctx.state.extra.next) q.set("next", ctx.state.extra.next);
  return `#/${route}?${q.toString()}`;
}

/** Signed in: the shell reads the new session when it opens `next`. */
export function signedIn(ctx: Ctx): void {
  setSession(null);
  location.hash = `#/${nextRoute(ctx)}`;
}

/** A server message beside its field (`data-field`), or nothing. */
export function fieldError(errors: Partial<Record<string, string>>, k: string): TemplateResult | typeof nothing {
  return errors[k] ? html`<span class="field-error" data-field=${k}>${errors[k]}</span>` : nothing;
}

let policyAnswer: Promise<Policy> | null = null;

/** `GET /auth/policy`, once per page load. */
export function policy(signal?: AbortSignal): Promise<Policy> {
  policyAnswer ??= accounts.policy(signal).catch((err: unknown) => {
    policyAnswer = null;
    throw err;
  });
  return policyAnswer;
}

/** Whether `value` meets one of the policy's password rules, read by what the sentence
 *  names (length, upper case, lower case, digit, special character); with `pattern`
 *  (the login rules), whether it matches that; null for a sentence this console cannot
 *  check (shown, not ticked). */
export function meets(rule: string, value: string, pattern?: string): boolean | null {
  if (pattern) {
    try {
      return new RegExp(pattern).test(value);
    } catch {
      return null;
    }
  }
  const r = rule.toLowerCase();
  // First: "a special character (not a letter or digit)" names letters and digits too.
  if (/special|symbol|punctuation/.test(r)) return /[^A-Za-z0-9]/.test(value);
  const least = /at least (\d+)/.exec(r);
  const most = /at most (\d+)|up to (\d+)/.exec(r);
  if ((least || most) && /character|long|length/.test(r)) {
    const max = most ? Number(most[1] ?? most[2]) : Infinity;
    return value.length >= (least ? Number(least[1]) : 0) && value.length <= max;
  }
  if (/upper/.test(r)) return /[A-Z]/.test(value);
  if (/lower/.test(r)) return /[a-z]/.test(value);
  if (/digit|number/.test(r)) return /\d/.test(value);
  return null;
}

/** The rules beside a field, each ticked or crossed for what is typed. */
export function ruleList(id: string, rules: readonly string[], value: string, pattern?: string): TemplateResult {
  return html`<ul class="rules-list" id=${id}>
    ${rules.map((rule) => {
      const ok = value ? meets(rule, value, pattern) : null;
      const state = ok === null ? "unknown" : ok ? "met" : "unmet";
      return html`<li data-state=${state}><span class="mark">${ok === null ? "•" : ok ? "✓" : "✗"}</span>${rule}</li>`;
    })}
  </ul>`;
}
