// Organisation settings (`#/org?tab=members|invitations|projects|tokens|trial`):
// - members: login, e-mail, role; an admin changes roles (only an owner grants or takes
//   owner) and removes members; anyone may leave;
// - invitations (admins): invite by e-mail and role, the link shown once with Copy; the
//   pending ones with Revoke;
// - projects: each with its tenant; admins create projects and their ingest keys (the
//   key shown once, with a warning), see prefix, created and last used, and revoke;
// - API tokens: the caller's own (an admin sees the organisation's, and may make service
//   accounts); the token shown once;
// - trial: its end; an operator sets or removes it.
// Controls a role may not use are not drawn (`canWrite` from access.ts); the server
// refuses them anyway, and its message is shown in the section.

import "./accounts.css";
import type { TemplateResult } from "lit-html";
import { accounts, type ApiToken, type IngestKey, type Invitation, type Member, type Org, type Project, type Role } from "../api/accounts";
import { canWrite, hasRole, reloadSession, role as myRole, ROLES, session, setSession } from "../access";
import { html, nothing, view } from "../dom";
import { fmtDay, toLocalInput } from "../format";
import { t, tf } from "../i18n";
import type { Ctx, PageView } from "../page";
import { errorText } from "./alerting";
import { table } from "./table";

const TABS = ["members", "invitations", "projects", "tokens", "trial"] as const;
type Tab = (typeof TABS)[number];

export function createOrg(ctx: Ctx): PageView {
  return new OrgPage(ctx);
}

/** A secret the server shows once: what it is, the value, Copy. */
function secretOnce(id: string, warning: string, value: string): TemplateResult {
  const copy = async (e: Event) => {
    const b = e.currentTarget as HTMLButtonElement;
    try {
      await navigator.clipboard.writeText(value);
      b.textContent = t("org.copied");
    } catch {
      // No clipboard (an insecure origin): select the text for Ctrl+C.
      const code = b.parentElement?.querySelector("code");
      if (code) getSelection()?.selectAllChildren(code);
    }
  };
  return html`<div class="secret-once" id=${id} role="status">
    <strong>${warning}</strong><code class="secret-value">${value}</code>
    <button class="btn small copy-btn" type="button" @click=${(e: Event) => void copy(e)}>${t("org.copy")}</button>
  </div>`;
}

function when(us: number | null | undefined): string {
  return us ? fmtDay(us / 1000) : "–";
}

function roleLabel(r: string): string {
  return (ROLES as readonly string[]).includes(r) ? t(`acc.role.${r as Role}`) : r;
}

class OrgPage implements PageView {
  readonly el = document.createElement("div");
  private readonly head = document.createElement("div");
  private readonly body = document.createElement("section");
  private tab: Tab;
  private org: Org | null = null;
  private members: Member[] = [];
  private invitations: Invitation[] = [];
  private projects: Project[] = [];
  private keys = new Map<number, IngestKey[]>();
  private tokens: ApiToken[] = [];
  private error = "";
  /** The secret just made (invitation link, ingest key, token), shown until the tab changes. */
  private shown: { id: string; warning: string; value: string } | null = null;

  constructor(private ctx: Ctx) {
    this.el.className = "page org";
    this.el.id = "page-org";
    this.body.className = "panel org-section";
    this.body.id = "org-section";
    this.el.append(this.head, this.body);
    this.tab = (TABS as readonly string[]).includes(ctx.state.extra.tab ?? "") ? (ctx.state.extra.tab as Tab) : "members";
    this.render();
  }

  async refresh(ctx: Ctx, signal: AbortSignal): Promise<void> {
    this.ctx = ctx;
    try {
      await this.load(signal);
      this.error = "";
    } catch (err) {
      if ((err as Error).name === "AbortError") throw err;
      this.error = errorText(err);
    }
    this.render();
  }

  /** The open tab's data (and the organisation, for its name and trial). */
  private async load(signal?: AbortSignal): Promise<void> {
    const org = accounts.org(signal);
    switch (this.tab) {
      case "members":
        this.members = await accounts.members(signal);
        break;
      case "invitations":
        if (hasRole("admin")) this.invitations = await accounts.invitations(signal);
        break;
      case "projects":
        this.projects = await accounts.projects(signal);
        if (hasRole("admin")) {
          const keys = await Promise.all(this.projects.map((p) => accounts.keys(p.id, signal)));
          this.keys = new Map(this.projects.map((p, i) => [p.id, keys[i]]));
        }
        break;
      case "tokens":
        this.tokens = await accounts.tokens(signal);
        break;
      case "trial":
        break;
    }
    this.org = await org;
  }

  /** Run a change, then reload the tab; the server's refusal is shown in the section. */
  private async act(change: () => Promise<unknown>): Promise<void> {
    try {
      await change();
      this.error = "";
      await this.load();
    } catch (err) {
      this.error = errorText(err);
    }
    this.render();
  }

  private open(tab: Tab): void {
    this.tab = tab;
    this.shown = null;
    this.error = "";
    this.ctx.setExtra({ tab });
    this.render();
    void this.refresh(this.ctx, new AbortController().signal);
  }

  private render(): void {
    const s = session();
    view(
      this.head,
      html`<header class="page-head"><h2 id="org-name">${this.org?.name ?? s?.org?.name ?? ""}</h2>
        <span class="hint" id="org-role" data-role=${myRole()}>${tf("org.yourRole", { role: roleLabel(myRole()) })}</span></header>
        <nav class="org-tabs" role="tablist">${TABS.map(
          (k) => html`<button class="btn seg ${k === this.tab ? "on" : ""}" role="tab" data-tab=${k}
            aria-selected=${k === this.tab ? "true" : "false"} @click=${() => this.open(k)}>${t(`org.tab.${k}`)}</button>`,
        )}</nav>`,
    );
    const section = {
      members: () => this.membersView(),
      invitations: () => this.invitationsView(),
      projects: () => this.projectsView(),
      tokens: () => this.tokensView(),
      trial: () => this.trialView(),
    }[this.tab]();
    view(
      this.body,
      html`${this.shown ? secretOnce(this.shown.id, this.shown.warning, this.shown.value) : nothing}
        ${this.error ? html`<p class="form-error" id="org-error" role="alert">${this.error}</p>` : nothing}
        ${section}`,
    );
  }

  private membersView(): TemplateResult {
    const me = session()?.user.id;
    const admin = canWrite("admin");
    // Only an owner grants or takes owner.
    const grantable = ROLES.filter((r) => r !== "owner" || hasRole("owner"));
    const roleCell = (m: Member) =>
      admin && m.user_id !== me && (m.role !== "owner" || hasRole("owner"))
        ? html`<select class="role-select" aria-label=${t("org.role")} @change=${(e: Event) =>
            void this.act(() => accounts.setRole(m.user_id, (e.target as HTMLSelectElement).value as Role))}>
            ${grantable.map((r) => html`<option value=${r} ?selected=${r === m.role}>${roleLabel(r)}</option>`)}</select>`
        : roleLabel(m.role);
    const leave = async (m: Member) => {
      await this.act(() => accounts.removeMember(m.user_id));
      if (m.user_id === me) {
        setSession(null);
        location.hash = "#/dashboard";
      }
    };
    return html`<h3>${t("org.tab.members")} (${this.members.length})</h3>
      ${table({
        id: "members-table",
        head: [t("org.login"), t("org.email"), t("org.role"), ""],
        rows: this.members,
        key: (m) => String(m.user_id),
        row: (m) => html`<tr data-user=${m.login} data-role=${m.role}>
          <td class="login">${m.login}</td><td class="email">${m.email}</td><td class="role">${roleCell(m)}</td>
          <td>${m.user_id === me
            ? html`<button class="btn small leave-btn" @click=${() => void leave(m)}>${t("org.leave")}</button>`
            : admin && (m.role !== "owner" || hasRole("owner"))
              ? html`<button class="btn small remove-btn" @click=${() => void this.act(() => accounts.removeMember(m.user_id))}>${t("org.remove")}</button>`
              : nothing}</td></tr>`,
      })}`;
  }

  private invitationsView(): TemplateResult {
    if (!hasRole("admin")) return html`<p class="write-hint" id="org-admin-only">${t("org.adminOnly")}</p>`;
    const invite = async (e: Event) => {
      e.preventDefault();
      const form = e.target as HTMLFormElement;
      const f = new FormData(form);
      await this.act(async () => {
        const inv = await accounts.invite(String(f.get("email") ?? "").trim(), String(f.get("role") ?? "viewer") as Role);
        const link = inv.link ?? `/#/accept?token=${inv.token ?? ""}`;
        this.shown = { id: "invitation-link", warning: tf("org.linkOnce", { email: inv.email }), value: link.startsWith("/") ? `${location.origin}${link}` : link };
        form.reset();
      });
    };
    const form = canWrite("admin")
      ? html`<form class="search-form" id="invite-form" @submit=${(e: Event) => void invite(e)}>
          <label class="field"><span>${t("org.email")}</span><input name="email" id="invite-email" type="email" required /></label>
          <label class="field"><span>${t("org.role")}</span><select name="role" id="invite-role">
            ${ROLES.filter((r) => r !== "owner" || hasRole("owner")).map((r) => html`<option value=${r} ?selected=${r === "viewer"}>${roleLabel(r)}</option>`)}</select></label>
          <button class="btn primary" type="submit" id="invite-submit">${t("org.invite")}</button></form>`
      : nothing;
    return html`<h3>${t("org.tab.invitations")}</h3>${form}
      ${this.invitations.length
        ? table({
            id: "invitations-table",
            head: [t("org.email"), t("org.role"), t("org.state"), t("org.expires"), ""],
            rows: this.invitations,
            key: (i) => String(i.id),
            row: (i) => html`<tr data-email=${i.email} data-state=${i.state}><td class="email">${i.email}</td><td>${roleLabel(i.role)}</td>
              <td class="state">${t(`org.inv.${i.state}`)}</td><td>${when(i.expires_us)}</td>
              <td>${canWrite("admin") && i.state === "pending" ? html`<button class="btn small revoke-btn" @click=${() => void this.act(() => accounts.revokeInvitation(i.id))}>${t("org.revoke")}</button>` : nothing}</td></tr>`,
          })
        : html`<p class="hint" id="invitations-none">${t("org.noInvitations")}</p>`}`;
  }

  private projectsView(): TemplateResult {
    const admin = canWrite("admin");
    const create = async (e: Event) => {
      e.preventDefault();
      const form = e.target as HTMLFormElement;
      const name = String(new FormData(form).get("name") ?? "").trim();
      await this.act(async () => {
        await accounts.createProject(name);
        form.reset();
        await reloadSession(); // the top bar's project picker lists the new one
      });
    };
    const addKey = async (e: Event, p: Project) => {
      e.preventDefault();
      const form = e.target as HTMLFormElement;
      const name = String(new FormData(form).get("name") ?? "").trim();
      await this.act(async () => {
        const k = await accounts.createKey(p.id, name);
        this.shown = { id: "ingest-key", warning: tf("org.keyOnce", { project: p.name }), value: k.key ?? "" };
        form.reset();
      });
    };
    const keys = (p: Project) => {
      if (!hasRole("admin")) return nothing;
      const list = this.keys.get(p.id) ?? [];
      return html`${list.length
          ? table({
              id: `keys-${p.id}`,
              head: [t("org.keyName"), t("org.prefix"), t("org.created"), t("org.lastUsed"), t("org.state"), ""],
              rows: list,
              key: (k) => String(k.id),
              row: (k) => html`<tr data-key=${k.prefix} data-revoked=${k.revoked_us ? "1" : "0"}><td>${k.name}</td><td class="mono">${k.prefix}…</td>
                <td>${when(k.created_us)}</td><td class="last-used">${when(k.last_used_us)}</td>
                <td>${k.revoked_us ? tf("org.revokedAt", { at: when(k.revoked_us) }) : t("org.active")}</td>
                <td>${admin && !k.revoked_us ? html`<button class="btn small revoke-btn" @click=${() => void this.act(() => accounts.revokeKey(p.id, k.id))}>${t("org.revoke")}</button>` : nothing}</td></tr>`,
            })
          : html`<p class="hint">${t("org.noKeys")}</p>`}
        ${admin
          ? html`<form class="search-form key-form" data-project=${p.tenant} @submit=${(e: Event) => void addKey(e, p)}>
              <label class="field"><span>${t("org.keyName")}</span><input name="name" required /></label>
              <button class="btn" type="submit">${t("org.createKey")}</button></form>`
          : nothing}`;
    };
    return html`<h3>${t("org.tab.projects")} (${this.projects.length})</h3>
      ${admin
        ? html`<form class="search-form" id="project-form" @submit=${(e: Event) => void create(e)}>
            <label class="field"><span>${t("org.projectName")}</span><input name="name" id="project-name" required /></label>
            <button class="btn primary" type="submit" id="project-submit">${t("org.createProject")}</button></form>`
        : nothing}
      ${this.projects.map(
        (p) => html`<div class="project" data-project=${p.tenant}><h4>${p.name} <span class="hint mono">${p.tenant}</span></h4>${keys(p)}</div>`,
      )}`;
  }

  private tokensView(): TemplateResult {
    const mine = ROLES.filter((r) => hasRole(r));
    const create = async (e: Event) => {
      e.preventDefault();
      const form = e.target as HTMLFormElement;
      const f = new FormData(form);
      const days = Number(f.get("expires_days"));
      await this.act(async () => {
        const tok = await accounts.createToken({
          name: String(f.get("name") ?? "").trim(),
          role: String(f.get("role") ?? "viewer") as Role,
          ...(days > 0 ? { expires_days: days } : {}),
          service_account: f.get("service_account") === "on",
        });
        this.shown = { id: "api-token", warning: t("org.tokenOnce"), value: tok.token ?? "" };
        form.reset();
      });
    };
    // Making a token writes nothing of the project's: a viewer makes a viewer's token.
    const writable = !session()?.org?.read_only;
    return html`<h3>${t("org.tab.tokens")} (${this.tokens.length})</h3>
      ${writable
        ? html`<form class="search-form" id="token-form" @submit=${(e: Event) => void create(e)}>
            <label class="field"><span>${t("org.tokenName")}</span><input name="name" id="token-name" required /></label>
            <label class="field"><span>${t("org.role")}</span><select name="role" id="token-role">
              ${mine.map((r) => html`<option value=${r} ?selected=${r === "viewer"}>${roleLabel(r)}</option>`)}</select></label>
            <label class="field"><span>${t("org.expiresDays")}</span><input name="expires_days" id="token-days" type="number" min="1" placeholder="∞" /></label>
            ${hasRole("admin") ? html`<label class="check"><input type="checkbox" name="service_account" id="token-service" />${t("org.serviceAccount")}</label>` : nothing}
            <button class="btn primary" type="submit" id="token-submit">${t("org.createToken")}</button></form>`
        : nothing}
      ${this.tokens.length
        ? table({
            id: "tokens-table",
            head: [t("org.tokenName"), t("org.prefix"), t("org.role"), t("org.owner"), t("org.created"), t("org.expires"), t("org.lastUsed"), ""],
            rows: this.tokens,
            key: (k) => String(k.id),
            row: (k) => html`<tr data-token=${k.prefix} data-revoked=${k.revoked_us ? "1" : "0"}><td>${k.name}</td><td class="mono">${k.prefix}…</td>
              <td>${roleLabel(k.role)}</td><td>${k.user ?? t("org.serviceAccount")}</td>
              <td>${when(k.created_us)}</td><td>${when(k.expires_us)}</td><td>${when(k.last_used_us)}</td>
              <td>${k.revoked_us ? tf("org.revokedAt", { at: when(k.revoked_us) }) : html`<button class="btn small revoke-btn" @click=${() => void this.act(() => accounts.revokeToken(k.id))}>${t("org.revoke")}</button>`}</td></tr>`,
          })
        : html`<p class="hint" id="tokens-none">${t("org.noTokens")}</p>`}`;
  }

  private trialView(): TemplateResult {
    const org = this.org;
    const ends = org?.trial_ends_us ?? null;
    const operator = session()?.user.operator === true;
    const set = async (e: Event) => {
      e.preventDefault();
      const v = String(new FormData(e.target as HTMLFormElement).get("ends") ?? "");
      const ms = new Date(v).getTime();
      if (!Number.isFinite(ms)) return;
      await this.act(async () => {
        await accounts.setTrial(ms * 1000);
        await reloadSession(); // the banner
      });
    };
    return html`<h3>${t("org.tab.trial")}</h3>
      <p id="trial-state" data-ends=${ends ?? ""}>${ends
        ? tf(org?.read_only ? "org.trialEnded" : "org.trialEnds", { date: when(ends) })
        : t("org.noTrial")}</p>
      ${operator
        ? html`<form class="search-form" id="trial-form" @submit=${(e: Event) => void set(e)}>
            <label class="field"><span>${t("org.trialEnd")}</span><input type="datetime-local" name="ends" id="trial-ends"
              .defaultValue=${ends ? toLocalInput(ends / 1000) : ""} required /></label>
            <button class="btn" type="submit" id="trial-set">${t("org.setTrial")}</button>
            <button class="btn" type="button" id="trial-off" @click=${() => void this.act(async () => {
              await accounts.setTrial(null);
              await reloadSession();
            })}>${t("org.trialOff")}</button></form>`
        : html`<p class="write-hint">${t("org.operatorOnly")}</p>`}`;
  }

  dispose(): void {}
}
