// Metering (issue 11, item 4): a month's statement per namespace / team / workload /
// cluster — core-hours and GiB-hours requested, used and allocated with bars side by side,
// their cost by request, usage and allocation, each group's share of the idle capacity,
// and totals equal to the clusters' capacity cost — plus the nodes' capacity, allocation
// and idle. The month and grouping live in the URL (`#/metering?month=2026-11&group_by=team`).

import { get } from "../api";
import type { Ok } from "../api/types";
import { emptyState, errorBox, h, html, Panel, view } from "../dom";
import { fmtNum } from "../format";
import { t, tf, type Key } from "../i18n";
import type { Ctx, PageView } from "../page";
import { onlyPart, pinInto, registerPanelKind, type PanelParams } from "../pin";
import { table } from "./table";
import "./metering.css";

type Statement = Ok<"/api/v1/metering/statement">;
type Line = Statement["lines"][number];
type Metering = Ok<"/api/v1/metering">;

const GROUP_BYS = ["namespace", "team", "workload", "cluster"] as const;

// The statement (its summary line: capacity, allocation and idle cost) and the nodes'
// capacity are figures one watches: pinnable with the grouping, and the month when one was
// picked (else a pinned statement follows the current month).
registerPanelKind({
  kind: "metering.statement",
  title: (p) => [t("mt.title"), p.group_by ? t(`mt.by.${p.group_by}` as Key) : "", p.month].filter(Boolean).join(" · "),
  w: 12,
  h: 6,
  create: () => onlyPart(new MeteringPage(), "#metering-panel"),
});
registerPanelKind({
  kind: "metering.nodes",
  title: (p) => [t("mt.nodes"), p.month].filter(Boolean).join(" · "),
  w: 12,
  h: 4,
  create: () => onlyPart(new MeteringPage(), "#metering-nodes-panel"),
});

export function createMetering(): PageView {
  return new MeteringPage();
}

function thisMonth(): string {
  return new Date().toISOString().slice(0, 7);
}

function monthWindow(month: string): { from: number; to: number } {
  const [y, m] = month.split("-").map(Number);
  return { from: Date.UTC(y, m - 1, 1), to: Date.UTC(y, m, 1) };
}

const money = (v: number) => fmtNum(v, 2);
// Core- and GiB-hours: three decimals below one (a few minutes of a small pod), else two.
const hours = (v: number) => fmtNum(v, Math.abs(v) < 1 ? 3 : 2);

class MeteringPage implements PageView {
  readonly el: HTMLElement;
  private readonly controls = h("div", { class: "filters", id: "metering-filters" });
  private readonly panel = new Panel(t("mt.title"), { id: "metering-panel", hint: t("mt.hint") });
  private readonly nodesPanel = new Panel(t("mt.nodes"), { id: "metering-nodes-panel" });
  private loaded = false;
  private shown: PanelParams = {};

  constructor() {
    pinInto(this.panel.el, "metering.statement", () => this.shown);
    pinInto(this.nodesPanel.el, "metering.nodes", () => ({ month: this.shown.month ?? "" }));
    this.el = h("div", { class: "page metering", id: "page-metering" }, this.controls, this.panel.el, this.nodesPanel.el);
  }

  async refresh(ctx: Ctx, signal: AbortSignal): Promise<void> {
    const month = /^\d{4}-\d{2}$/.test(ctx.state.extra.month ?? "") ? ctx.state.extra.month : thisMonth();
    const by = (GROUP_BYS as readonly string[]).includes(ctx.state.extra.group_by ?? "") ? ctx.state.extra.group_by : "namespace";
    this.shown = { month: ctx.state.extra.month === month ? month : "", group_by: ctx.state.extra.group_by === by ? by : "" };
    this.renderControls(ctx, month, by);
    let s: Statement;
    let m: Metering;
    try {
      [s, m] = await Promise.all([
        get<Statement>("/metering/statement", { month, group_by: by }, signal),
        get<Metering>("/metering", { ...monthWindow(month), group_by: by }, signal),
      ]);
    } catch (err) {
      if ((err as Error).name === "AbortError") throw err;
      this.panel.setStatus(errorBox(err), this.loaded);
      return;
    }
    this.loaded = true;
    this.renderStatement(s, month, by);
    this.renderNodes(m);
  }

  private renderControls(ctx: Ctx, month: string, by: string): void {
    const set = (patch: Record<string, string>) => ctx.navigate({ extra: { ...ctx.state.extra, ...patch }, sub: "" });
    view(
      this.controls,
      html`<form class="search-form filter-bar" id="metering-form" @submit=${(e: Event) => e.preventDefault()}>
        <label class="field"><span>${t("mt.month")}</span>
          <input type="month" id="metering-month" name="month" .value=${month}
            @change=${(e: Event) => {
              const v = (e.target as HTMLInputElement).value;
              if (v) set({ month: v });
            }} /></label>
        <label class="field"><span>${t("mt.groupBy")}</span>
          <select id="metering-group-by" name="group_by" @change=${(e: Event) => set({ group_by: (e.target as HTMLSelectElement).value })}>
            ${GROUP_BYS.map((g) => html`<option value=${g} ?selected=${g === by}>${t(`mt.by.${g}` as Key)}</option>`)}
          </select></label>
        <a class="button" id="metering-csv" href=${`api/v1/metering/statement?month=${month}&group_by=${by}&format=csv`} download>${t("mt.csv")}</a>
      </form>`,
    );
  }

  private renderStatement(s: Statement, month: string, by: string): void {
    if (!s.lines.length && s.capacity_cost === 0) {
      this.panel.setStatus(emptyState(t("mt.none"), t("mt.noneBody")));
      return;
    }
    this.panel.setStatus(null);
    const max = Math.max(1e-9, ...s.lines.map((l) => Math.max(l.figures.cpu_request, l.figures.cpu_usage, l.figures.cpu_allocated)));
    const bar = (v: number, cls: string, label: string) =>
      html`<span class="mt-bar ${cls}" title=${`${label}: ${hours(v)}`} style=${`width:${Math.max(1, (v / max) * 100)}%`}></span>`;
    const label = (l: Line) => (by === "team" && !l.key ? t("mt.noTeam") : l.key);
    const cur = s.currency;
    const rates = Object.entries(s.rates)
      .map(([c, r]) => `${c} ${fmtNum(r.cpu_core_hour, 4)}/${t("mt.cpu")} · ${fmtNum(r.memory_gib_hour, 4)}/${t("mt.memory")} ${r.currency}`)
      .join("; ");
    view(
      this.panel.body,
      html`<p class="mt-summary" id="metering-summary">${tf("mt.summary", {
          hours: s.hours, capacity: money(s.capacity_cost), currency: cur,
          allocation: money(s.allocation_cost), idle: money(s.idle_cost),
        })}</p>
        ${rates ? html`<p class="hint" id="metering-rates">${tf("mt.rates", { rates })}</p>` : null}
        <div class="mt-legend">
          <span><b class="mt-bar request"></b>${t("mt.request")}</span>
          <span><b class="mt-bar usage"></b>${t("mt.usage")}</span>
          <span><b class="mt-bar allocation"></b>${t("mt.allocation")}</span>
        </div>
        ${table({
          id: "metering-table",
          head: [t(`mt.by.${by}` as Key), t("mt.containers"), t("mt.bars"), t("mt.cpu"), t("mt.memory"),
            t("mt.requestCost"), t("mt.usageCost"), t("mt.allocationCost"), t("mt.idleShare"), t("mt.total")],
          rows: s.lines,
          key: (l) => `${month}|${by}|${l.cluster}|${l.key}`,
          row: (l) => html`<tr data-key=${l.key} data-cluster=${l.cluster}>
            <td class="mt-group">${by === "cluster" || !l.cluster || by === "team" ? "" : html`<span class="muted">${l.cluster} · </span>`}${label(l)}</td>
            <td class="num">${l.containers}</td>
            <td class="mt-bars">${bar(l.figures.cpu_request, "request", t("mt.request"))}${bar(l.figures.cpu_usage, "usage", t("mt.usage"))}${bar(l.figures.cpu_allocated, "allocation", t("mt.allocation"))}</td>
            <td class="num" data-col="cpu">${tf("mt.triple", { request: hours(l.figures.cpu_request), usage: hours(l.figures.cpu_usage), allocated: hours(l.figures.cpu_allocated) })}</td>
            <td class="num" data-col="memory">${tf("mt.triple", { request: hours(l.figures.memory_request), usage: hours(l.figures.memory_usage), allocated: hours(l.figures.memory_allocated) })}</td>
            <td class="num" data-col="request_cost">${money(l.request_cost)}</td>
            <td class="num" data-col="usage_cost">${money(l.usage_cost)}</td>
            <td class="num" data-col="allocation_cost">${money(l.allocation_cost)}</td>
            <td class="num" data-col="idle_cost">${money(l.idle_cost)}</td>
            <td class="num" data-col="total_cost"><b>${money(l.total_cost)}</b></td>
          </tr>`,
        })}
        <table class="grid mt-totals" id="metering-totals"><tbody>
          <tr data-key="unassigned"><td>${t("mt.idleUnassigned")}</td><td class="num" data-col="total_cost">${money(s.unassigned_idle_cost)} ${cur}</td></tr>
          <tr data-key="total"><td><b>${t("mt.totals")}</b></td><td class="num" data-col="total_cost"><b>${money(s.capacity_cost)} ${cur}</b></td></tr>
        </tbody></table>`,
    );
  }

  private renderNodes(m: Metering): void {
    if (!m.nodes.length) {
      this.nodesPanel.setStatus(emptyState(t("mt.none")));
      return;
    }
    this.nodesPanel.setStatus(null);
    const c = m.capacity;
    view(
      this.nodesPanel.body,
      table({
        id: "metering-nodes",
        head: [t("mt.cluster"), t("mt.node"), `${t("mt.capacity")} (${t("mt.cpu")})`, t("mt.allocated"), t("mt.idle"),
          `${t("mt.capacity")} (${t("mt.memory")})`, t("mt.allocated"), t("mt.idle")],
        rows: [...m.nodes, { cluster: "", node: t("mt.total"), cpu_capacity: c.cpu_capacity, cpu_allocated: c.cpu_allocated, cpu_idle: c.cpu_idle,
          memory_capacity: c.memory_capacity, memory_allocated: c.memory_allocated, memory_idle: c.memory_idle }],
        key: (n) => `${n.cluster}|${n.node}`,
        row: (n) => html`<tr data-node=${n.node}>
          <td>${n.cluster}</td><td>${n.node}</td>
          <td class="num">${hours(n.cpu_capacity)}</td><td class="num">${hours(n.cpu_allocated)}</td><td class="num">${hours(n.cpu_idle)}</td>
          <td class="num">${hours(n.memory_capacity)}</td><td class="num">${hours(n.memory_allocated)}</td><td class="num">${hours(n.memory_idle)}</td>
        </tr>`,
      }),
    );
  }

  dispose(): void {}
}
