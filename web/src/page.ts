// The contract between the shell and a page: the shell owns the URL, the window and
// the refresh clock; a page owns its DOM and charts.

import type { ServiceSummary, Window } from "./api";
import type { ViewState } from "./state";

export interface Ctx {
  state: ViewState;
  /** The window of this refresh (`now`-anchored in live mode). */
  window: Window;
  services: ServiceSummary[];
  /** Instances of the selected service seen in the window. */
  instances: string[];
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
