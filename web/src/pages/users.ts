// Service users (issue 11, item 3): DAU / WAU / MAU and active users as tiles, active
// users over the selected range, and distinct users per UTC day over the last 7 / 30 /
// 90 days (GET /api/v1/users), for the picked service or every service (scope=all). A figure that is
// a HyperLogLog estimate shows ≈ and its error bound. Tests read `data-users` /
// `data-exact` on the tiles and `data-series` on the charts.

import { get } from "../api";
import type { Ok } from "../api/types";
import { Chart, baseOption, palette, timeAxis, valueAxis } from "../charts";
import { emptyState, errorBox, h, html, nothing, Panel, view } from "../dom";
import { fmtNum } from "../format";
import { t, tf } from "../i18n";
import type { Ctx, PageView } from "../page";
import { onlyPart, pinInto, registerPanelKind, type PanelParams } from "../pin";

type Users = Ok<"/api/v1/users">;
type Count = Users["dau"];
type Point = Users["daily"][number];
type TileKey = "dau" | "wau" | "mau" | "active";

const DAYS = [7, 30, 90] as const;
const DAY_MS = 86_400_000;

export function createUsers(): PageView {
  return new UsersPage();
}

/** Pinnable parts: kind `users.<part>` → the element shown, its label and default size. */
const PARTS = {
  dau: ["#users-dau", "usr.dau", 3, 2],
  wau: ["#users-wau", "usr.wau", 3, 2],
  mau: ["#users-mau", "usr.mau", 3, 2],
  active: ["#users-active", "usr.active", 3, 2],
  "active-chart": ["#users-active-panel", "usr.activeChart", 6, 4],
  daily: ["#users-daily-panel", "usr.dailyChart", 6, 4],
} as const;
for (const [part, [selector, label, w, h_]] of Object.entries(PARTS)) {
  registerPanelKind({
    kind: `users.${part}`,
    title: (p: PanelParams) => [t(label), p.scope === "all" ? t("usr.all") : p.service].filter(Boolean).join(" · "),
    w,
    h: h_,
    create: () => onlyPart(new UsersPage(), selector),
  });
}

class UsersPage implements PageView {
  readonly el: HTMLElement;
  private readonly form = h("div", { class: "filters", id: "users-filters" });
  private readonly tiles: Record<TileKey, { el: HTMLElement; value: HTMLElement; sub: HTMLElement }>;
  private readonly bound = h("div", { class: "hint", id: "users-bound", style: "font-size:12px;margin:6px 0" });
  private readonly activePanel = new Panel(t("usr.activeChart"), { id: "users-active-panel", hint: t("usr.activeHint") });
  private readonly dailyPanel = new Panel(t("usr.dailyChart"), { id: "users-daily-panel", hint: tf("usr.dailyHint", { days: "30" }) });
  private readonly activeChart: Chart;
  private readonly dailyChart: Chart;
  private loaded = false;
  /** What a pin pins: the service (or every one), the days of the daily chart. */
  private shown: PanelParams = {};

  constructor() {
    const keys: [TileKey, string, string][] = [
      ["dau", "usr.dau", "usr.dauSub"],
      ["wau", "usr.wau", "usr.wauSub"],
      ["mau", "usr.mau", "usr.mauSub"],
      ["active", "usr.active", "usr.activeSub"],
    ];
    const tiles = {} as Record<TileKey, { el: HTMLElement; value: HTMLElement; sub: HTMLElement }>;
    for (const [key, label, sub] of keys) {
      const value = h("div", { class: "tile-value" }, "–");
      const subEl = h("div", { class: "tile-sub" }, t(sub as "usr.dauSub"));
      tiles[key] = { value, sub: subEl, el: h("div", { class: "tile", id: `users-${key}`, title: t(sub as "usr.dauSub") }, h("div", { class: "tile-label" }, t(label as "usr.dau")), value, subEl) };
    }
    this.tiles = tiles;
    const box = (id: string, p: Panel) => {
      const el = h("div", { class: "chart-box", id });
      p.body.append(el);
      return new Chart(el, { renderer: "svg" });
    };
    this.activeChart = box("users-active-chart", this.activePanel);
    this.dailyChart = box("users-daily-chart", this.dailyPanel);
    for (const key of Object.keys(tiles) as TileKey[]) pinInto(tiles[key].el, `users.${key}`, () => this.shown);
    pinInto(this.activePanel.el, "users.active-chart", () => this.shown);
    pinInto(this.dailyPanel.el, "users.daily", () => this.shown);
    this.el = h(
      "div",
      { class: "page users", id: "page-users" },
      this.form,
      h("div", { class: "tiles", style: "grid-template-columns:repeat(4,minmax(0,1fr))" }, Object.values(tiles).map((x) => x.el)),
      this.bound,
      h("div", { class: "row two" }, this.activePanel.el, this.dailyPanel.el),
    );
  }

  async refresh(ctx: Ctx, signal: AbortSignal): Promise<void> {
    const days = DAYS.includes(Number(ctx.state.extra.days) as (typeof DAYS)[number]) ? Number(ctx.state.extra.days) : 30;
    const all = ctx.state.extra.scope === "all";
    const service = all ? undefined : ctx.state.service || undefined;
    this.shown = { service: service ?? "", scope: all ? "all" : "", days: String(days) };
    const to = ctx.window.to;
    let daily: Users;
    let active: Users;
    try {
      [daily, active] = await Promise.all([
        get<Users>("/users", { service, from: to - days * DAY_MS, to }, signal),
        get<Users>("/users", { service, from: ctx.window.from, to }, signal),
      ]);
    } catch (err) {
      if ((err as Error).name === "AbortError") throw err;
      this.activePanel.setStatus(errorBox(err), this.loaded);
      this.dailyPanel.setStatus(errorBox(err), this.loaded);
      return;
    }
    this.loaded = true;
    this.renderForm(ctx, days, all);
    const counts: Record<TileKey, Count> = { dau: daily.dau, wau: daily.wau, mau: daily.mau, active: active.active };
    for (const key of Object.keys(counts) as TileKey[]) {
      const c = counts[key];
      const tile = this.tiles[key];
      tile.value.textContent = (c.exact ? "" : "≈ ") + fmtNum(c.users, 0);
      tile.el.dataset.users = String(c.users);
      tile.el.dataset.exact = String(c.exact);
      tile.sub.textContent = c.exact ? t("usr.exact") : tf("usr.estimate", { bound: pct(c.error_bound) });
    }
    const bound = [daily.error_bound, active.error_bound].find((b) => b !== null) ?? null;
    view(this.bound, bound === null ? nothing : html`<span data-bound=${String(bound)}>${tf("usr.bound", { bound: pct(bound), bound3: pct(3 * bound) })}</span>`);
    this.dailyPanel.setTitle(`${t("usr.dailyChart")} · ${service ?? t("usr.all")}`);
    this.draw(this.activeChart, active.active_series, { from: active.from, to: active.to }, "line");
    this.draw(this.dailyChart, daily.daily, { from: daily.from, to: daily.to }, "bar");
    const empty = daily.mau.users === 0 && active.active_series.every((p) => p.users === 0);
    this.dailyPanel.setStatus(empty ? emptyState(t("usr.none")) : null, true);
    this.activePanel.setStatus(null);
    this.dailyPanel.el.querySelector(".hint")?.replaceChildren(tf("usr.dailyHint", { days: String(days) }));
  }

  private draw(chart: Chart, points: Point[], w: { from: number; to: number }, type: "line" | "bar"): void {
    const p = palette();
    chart.el.dataset.series = JSON.stringify(points.map((x) => [x.ts, x.users, x.exact]));
    chart.set(
      {
        ...baseOption(),
        tooltip: {
          ...(baseOption().tooltip as object),
          formatter: (items: { data: [number, number, boolean] }[]) => {
            const d = items[0]?.data;
            if (!d) return "";
            return `${new Date(d[0]).toISOString().slice(0, type === "bar" ? 10 : 16).replace("T", " ")}<br>${d[2] ? "" : "≈ "}${fmtNum(d[1], 0)} ${t("usr.series")}`;
          },
        },
        xAxis: { ...timeAxis(w) },
        yAxis: { ...valueAxis((v) => fmtNum(v, 0)), minInterval: 1 },
        series: [
          {
            type,
            name: t("usr.series"),
            data: points.map((x) => ({ value: [x.ts, x.users, x.exact], itemStyle: x.exact ? undefined : { opacity: 0.6 } })),
            showSymbol: type === "line" ? points.length < 60 : undefined,
            barMaxWidth: 18,
            color: p.series[1],
            areaStyle: type === "line" ? { opacity: 0.15 } : undefined,
          },
        ],
      },
      points.length,
      true,
    );
  }

  private renderForm(ctx: Ctx, days: number, all: boolean): void {
    const scope = (e: Event) => ctx.navigate({ extra: { ...ctx.state.extra, scope: (e.target as HTMLSelectElement).value } });
    view(
      this.form,
      html`<form class="search-form filter-bar" id="users-form" @submit=${(e: Event) => e.preventDefault()}>
        <label class="field"><span>${t("usr.scope")}</span>
          <select id="users-scope" @change=${scope}>
            <option value="" ?selected=${!all}>${tf("usr.thisService", { service: ctx.state.service || "–" })}</option>
            <option value="all" ?selected=${all}>${t("usr.all")}</option>
          </select></label>
        <label class="field"><span>${t("usr.days")}</span>
          <select id="users-days" @change=${(e: Event) => ctx.navigate({ extra: { ...ctx.state.extra, days: (e.target as HTMLSelectElement).value } })}>
            ${DAYS.map((d) => html`<option value=${String(d)} ?selected=${d === days}>${d}</option>`)}
          </select></label>
      </form>`,
    );
  }

  dispose(): void {
    this.activeChart.dispose();
    this.dailyChart.dispose();
  }
}

function pct(v: number | null): string {
  return v === null ? "–" : `${(v * 100).toFixed(2)} %`;
}
