// Who is signed in, in which organisation and project, and what they may do there: the
// one place pages ask before offering a write (`canWrite()`), so a viewer, or anyone in
// an organisation whose trial ended, is never shown a control the server would refuse.
// The shell sets the session once it has `GET /auth/session`'s answer; the project
// chosen in the top bar is kept in localStorage per organisation and sent by api.ts as
// `X-Bongsu-Project`.
//
//     ${canWrite() ? html`<button @click=${save}>Save</button>` : nothing}

import type { Session } from "./api/accounts";
import { t, tf } from "./i18n";

export type { Session };
export type Role = "viewer" | "editor" | "admin" | "owner";
export const ROLES: readonly Role[] = ["viewer", "editor", "admin", "owner"];

let current: Session | null = null;
let reloader: (() => Promise<void>) | null = null;

/** The shell's way to ask the server again and redraw its top bar and menu. */
export function setReloader(fn: () => Promise<void>): void {
  reloader = fn;
}

/** Ask for the session again after a change to it (a new project, the trial's end);
 *  the page stays. */
export async function reloadSession(): Promise<void> {
  await reloader?.();
}

/** The signed-in session, null before the shell has it (or when signed out). */
export function session(): Session | null {
  return current;
}

export function setSession(s: Session | null): void {
  current = s;
  // A project no longer in the organisation (deleted, or another org's) is forgotten.
  if (s?.org && chosenProject() && !s.projects.some((p) => p.tenant === chosenProject())) {
    localStorage.removeItem(projectKey(s.org.id));
  }
}

/** The caller's role in the current organisation ("viewer" with none). */
export function role(): Role {
  const r = current?.org?.role;
  return (ROLES as readonly string[]).includes(r ?? "") ? (r as Role) : "viewer";
}

/** Whether the caller's role is at least `min`. */
export function hasRole(min: Role): boolean {
  return ROLES.indexOf(role()) >= ROLES.indexOf(min);
}

/** The organisation takes no writes (its trial ended). */
export function readOnly(): boolean {
  return current?.org?.read_only === true;
}

/** Whether to offer a write that needs `min` (editor: rules, checks, captures …). */
export function canWrite(min: Role = "editor"): boolean {
  return current !== null && hasRole(min) && !readOnly();
}

/** Why writes are not offered, for a hint where the controls would be; "" when they are. */
export function whyNoWrite(min: Role = "editor"): string {
  if (canWrite(min)) return "";
  if (readOnly()) return t("acc.readOnlyHint");
  return tf("acc.roleHint", { role: t(`acc.role.${role()}`), needed: t(`acc.role.${min}`) });
}

/** Single-user mode: no sign-in, no sign-out, one owner. */
export function singleUser(): boolean {
  return current?.mode === "single-user";
}

function projectKey(orgId: number): string {
  return `bongsu.project.${orgId}`;
}

/** The tenant of the project chosen in the current organisation, "" for its first. */
export function chosenProject(): string {
  const org = current?.org;
  return org ? (localStorage.getItem(projectKey(org.id)) ?? "") : "";
}

export function chooseProject(tenant: string): void {
  const org = current?.org;
  if (!org) return;
  if (tenant) localStorage.setItem(projectKey(org.id), tenant);
  else localStorage.removeItem(projectKey(org.id));
}
