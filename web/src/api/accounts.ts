// The accounts API's calls (/api/v1/auth, /org, /orgs, /tokens, /audit, invitations) and
// the shapes the console reads from them.

import { get, post, send } from "../api";
import type { Ok, paths } from "./types";

type Item<T> = T extends readonly (infer E)[] ? E : never;
type Created<P extends keyof paths> = paths[P] extends { post: { responses: { 201: { content: { "application/json": infer B } } } } } ? B : never;

export type Role = "viewer" | "editor" | "admin" | "owner";
export type Policy = Ok<"/api/v1/auth/policy">;
/** The session; `org.role` is one of `Role` (the schema says string). */
export type Session = Ok<"/api/v1/auth/session">;
export type SignupAnswer = Created<"/api/v1/auth/signup">;
export type Org = Ok<"/api/v1/org">;
export type Member = Item<Ok<"/api/v1/org/members">["members"]>;
export type Invitation = Item<Ok<"/api/v1/org/invitations">["invitations"]>;
export type InvitationCreated = Created<"/api/v1/org/invitations">;
export type Project = Item<Ok<"/api/v1/org/projects">["projects"]>;
export type IngestKey = Item<Ok<"/api/v1/org/projects/{project_id}/keys">["keys"]>;
export type IngestKeyCreated = Created<"/api/v1/org/projects/{project_id}/keys">;
export type ApiToken = Item<Ok<"/api/v1/tokens">["tokens"]>;
export type ApiTokenCreated = Created<"/api/v1/tokens">;
export type AuditEntry = Item<Ok<"/api/v1/audit">["entries"]>;

export const accounts = {
  policy: (s?: AbortSignal) => get<Policy>("/auth/policy", {}, s),
  session: (s?: AbortSignal) => get<Session>("/auth/session", {}, s),
  login: (login: string, password: string) => post<Session>("/auth/login", { login, password }),
  logout: () => post<null>("/auth/logout", undefined),
  signup: (body: { login: string; email: string; password: string; organisation?: string }) =>
    post<SignupAnswer>("/auth/signup", body),
  verify: (login: string, code: string) => post<Session>("/auth/verify", { login, code }),
  resend: (login: string) => post<null>("/auth/verify/resend", { login }),
  forgot: (login: string) => post<null>("/auth/password/forgot", { login }),
  reset: (login: string, code: string, password: string) => post<null>("/auth/password/reset", { login, code, password }),
  accept: (token: string) => post<Ok<"/api/v1/invitations/accept", "post">>("/invitations/accept", { token }),
  switchOrg: (id: number) => post<Ok<"/api/v1/orgs/{org_id}/switch", "post">>(`/orgs/${id}/switch`, undefined),

  org: (s?: AbortSignal) => get<Org>("/org", {}, s),
  setTrial: (ends_us: number | null) => send<Org>("PUT", "/org/trial", { ends_us }),
  members: async (s?: AbortSignal) => (await get<Ok<"/api/v1/org/members">>("/org/members", {}, s)).members,
  setRole: (userId: number, role: Role) => send<Member>("PATCH", `/org/members/${userId}`, { role }),
  removeMember: (userId: number) => send<null>("DELETE", `/org/members/${userId}`),
  invitations: async (s?: AbortSignal) => (await get<Ok<"/api/v1/org/invitations">>("/org/invitations", {}, s)).invitations,
  invite: (email: string, role: Role) => post<InvitationCreated>("/org/invitations", { email, role }),
  revokeInvitation: (id: number) => send<null>("DELETE", `/org/invitations/${id}`),
  projects: async (s?: AbortSignal) => (await get<Ok<"/api/v1/org/projects">>("/org/projects", {}, s)).projects,
  createProject: (name: string) => post<Project>("/org/projects", { name }),
  keys: async (projectId: number, s?: AbortSignal) => (await get<Ok<"/api/v1/org/projects/{project_id}/keys">>(`/org/projects/${projectId}/keys`, {}, s)).keys,
  createKey: (projectId: number, name: string) => post<IngestKeyCreated>(`/org/projects/${projectId}/keys`, { name }),
  revokeKey: (projectId: number, keyId: number) => send<null>("DELETE", `/org/projects/${projectId}/keys/${keyId}`),
  tokens: async (s?: AbortSignal) => (await get<Ok<"/api/v1/tokens">>("/tokens", {}, s)).tokens,
  createToken: (body: { name: string; role: Role; expires_days?: number; service_account: boolean }) => post<ApiTokenCreated>("/tokens", body),
  revokeToken: (id: number) => send<null>("DELETE", `/tokens/${id}`),
  audit: async (p: { from?: number; to?: number; actor?: string; action?: string; limit?: number }, s?: AbortSignal) =>
    (await get<Ok<"/api/v1/audit">>("/audit", p, s)).entries,
};
