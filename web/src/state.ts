// The view state lives in the URL hash (`#/page?service=..&range=15m`) so a link
// reproduces the view and the server needs no SPA fallback route.

import type { Lang } from "./i18n";
import type { Window } from "./api";
import { ROUTES, type Page } from "./registry";

// Kept for page code that imported them from here; the registry is the source.
export type { Page };
export const PAGES: Page[] = ROUTES;

export const RANGES = ["5m", "15m", "1h", "6h", "24h", "7d"] as const;
export type Range = (typeof RANGES)[number] | "custom";

const RANGE_MS: Record<(typeof RANGES)[number], number> = {
  "5m": 5 * 60_000,
  "15m": 15 * 60_000,
  "1h": 3_600_000,
  "6h": 6 * 3_600_000,
  "24h": 24 * 3_600_000,
  "7d": 7 * 24 * 3_600_000,
};

export interface ViewState {
  page: Page;
  /** Sub-path after the page, e.g. a trace id for `#/traces/<id>`. */
  sub: string;
  service: string;
  instance: string;
  range: Range;
  from: number;
  to: number;
  lang: Lang;
  theme: "dark" | "light";
  /** Page-specific parameters (trace search fields, topology level, …). */
  extra: Record<string, string>;
}

const CORE = new Set(["service", "instance", "range", "from", "to", "lang", "theme"]);

export function parseHash(hash: string): ViewState {
  const raw = hash.replace(/^#\/?/, "");
  const [path, qs = ""] = raw.split("?", 2);
  const [pageRaw, ...rest] = path.split("/");
  const page = (PAGES as string[]).includes(pageRaw) ? (pageRaw as Page) : PAGES[0];
  const q = new URLSearchParams(qs);
  const rangeRaw = q.get("range") ?? "15m";
  const range: Range = rangeRaw === "custom" || (RANGES as readonly string[]).includes(rangeRaw)
    ? (rangeRaw as Range)
    : "15m";
  const extra: Record<string, string> = {};
  q.forEach((v, k) => {
    if (!CORE.has(k)) extra[k] = v;
  });
  return {
    page,
    sub: rest.map(decodeURIComponent).join("/"),
    service: q.get("service") ?? "",
    instance: q.get("instance") ?? "",
    range,
    from: Number(q.get("from")) || 0,
    to: Number(q.get("to")) || 0,
    lang: q.get("lang") === "ko" ? "ko" : q.get("lang") === "en" ? "en" : storedLang(),
    theme: q.get("theme") === "light" ? "light" : q.get("theme") === "dark" ? "dark" : storedTheme(),
    extra,
  };
}

function storedLang(): Lang {
  const v = localStorage.getItem("bongsu.lang");
  if (v === "ko" || v === "en") return v;
  return navigator.language.toLowerCase().startsWith("ko") ? "ko" : "en";
}

function storedTheme(): "dark" | "light" {
  return localStorage.getItem("bongsu.theme") === "light" ? "light" : "dark";
}

export function toHash(s: ViewState): string {
  const q = new URLSearchParams();
  if (s.service) q.set("service", s.service);
  if (s.instance) q.set("instance", s.instance);
  q.set("range", s.range);
  if (s.range === "custom") {
    q.set("from", String(s.from));
    q.set("to", String(s.to));
  }
  q.set("lang", s.lang);
  q.set("theme", s.theme);
  for (const [k, v] of Object.entries(s.extra)) if (v !== "") q.set(k, v);
  const sub = s.sub ? `/${s.sub.split("/").map(encodeURIComponent).join("/")}` : "";
  return `#/${s.page}${sub}?${q.toString()}`;
}

export function isLive(s: ViewState): boolean {
  return s.range !== "custom";
}

/** The absolute window for the state, `now` for live ranges. */
export function windowOf(s: ViewState, now = Date.now()): Window {
  if (s.range === "custom") {
    const to = s.to || now;
    return { from: s.from || to - RANGE_MS["15m"], to };
  }
  return { from: now - RANGE_MS[s.range], to: now };
}

/** Chart step in seconds: ~60–90 points per chart, never finer than the 10 s rollup. */
export function seriesStep(w: Window): number {
  return pickStep((w.to - w.from) / 1000 / 90);
}

/** Heatmap columns are coarser than line points so cells stay readable. */
export function heatmapStep(w: Window): number {
  return pickStep((w.to - w.from) / 1000 / 45);
}

const STEPS = [10, 20, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 21600, 43200, 86400];

function pickStep(ideal: number): number {
  for (const s of STEPS) if (s >= ideal) return s;
  return STEPS[STEPS.length - 1];
}
