// The contract between the shell and a page: the shell owns the URL, the window and
// the refresh clock; a page owns its DOM and charts.

import type { ServiceSummary, Window } from "./api";
import type { ViewState } from "./state";

export interface Ctx {
  state: ViewState;
  /** The window of this refresh (`now`-anchored in live mode). */
  window: Window;
  services: ServiceSummary[];
  /** Instance ids of the selected service seen in the window (what URLs and API calls take). */
  instances: string[];
  /** Display name of each id in `instances` (`instance_name`: the pod name, else
   *  host:pid, else the id). Show names, keep ids in URLs and in a `title` on hover. */
  instanceNames: Record<string, string>;
  /** The display name of any instance id; the id itself when the shell knows no name. */
  instanceName(id: string): string;
  live: boolean;
  navigate(patch: Partial<ViewState>, opts?: { replace?: boolean }): void;
  /** Record page-owned parameters in the URL (so a link reproduces the view) without
   *  rebuilding the page; "" removes one. */
  setExtra(patch: Record<string, string>): void;
  href(patch: Partial<ViewState>): string;
}

export interface PageView {
  el: HTMLElement;
  /** Called on navigation and every 5 s in live mode; must not rebuild charts. */
  refresh(ctx: Ctx, signal: AbortSignal): Promise<void>;
  dispose(): void;
}

export type PageFactory = (ctx: Ctx) => PageView;
