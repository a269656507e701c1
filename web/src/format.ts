// Number and time formatting shared by tiles, tables and chart tooltips.

import { lang } from "./i18n";

export function fmtNum(v: number | null | undefined, digits = 1): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "–";
  if (Math.abs(v) >= 1000) return Math.round(v).toLocaleString(locale());
  return v.toLocaleString(locale(), { maximumFractionDigits: digits });
}

export function fmtMs(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "–";
  if (v >= 10_000) return `${(v / 1000).toLocaleString(locale(), { maximumFractionDigits: 1 })} s`;
  return `${v.toLocaleString(locale(), { maximumFractionDigits: v < 10 ? 2 : 0 })} ms`;
}

export function fmtPct(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "–";
  return `${(v * 100).toLocaleString(locale(), { maximumFractionDigits: v < 0.1 ? 2 : 1 })}%`;
}

export function fmtBytes(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "–";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  let x = v;
  while (Math.abs(x) >= 1024 && i < units.length - 1) {
    x /= 1024;
    i++;
  }
  return `${x.toLocaleString(locale(), { maximumFractionDigits: 1 })} ${units[i]}`;
}

export function fmtTime(ts: number, withDate = false): string {
  const d = new Date(ts);
  const opts: Intl.DateTimeFormatOptions = { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false };
  if (withDate) Object.assign(opts, { month: "2-digit", day: "2-digit" });
  return d.toLocaleString(locale(), opts);
}

/** A day and time with the year (a trial's end, an expiry), local time. */
export function fmtDay(ts: number): string {
  return new Date(ts).toLocaleString(locale(), { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", hour12: false });
}

/** `YYYY-MM-DDTHH:MM` in local time, for datetime-local inputs. */
export function toLocalInput(ts: number): string {
  const d = new Date(ts - new Date(ts).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
}

function locale(): string {
  return lang() === "ko" ? "ko-KR" : "en-GB";
}

/** Escape text for ECharts tooltips, which render HTML. */
export function esc(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);
}

/** Instance ids are often UUIDs or pod names: keep them short where space is tight. */
export function shortId(id: string): string {
  return id.length > 18 ? `${id.slice(0, 8)}…` : id;
}
