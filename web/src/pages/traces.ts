// Trace search (F5). The search fields live in the URL; `#/traces/<id>` is the detail.

import { api, type TraceSummary } from "../api";
import { Chart, baseOption, palette, timeAxis, valueAxis } from "../charts";
import { emptyState, errorBox, h, html, nothing, Panel, view } from "../dom";
import { esc, fmtMs, fmtTime } from "../format";
import { t } from "../i18n";
import type { Ctx, PageView } from "../page";
import { onlyPart, pinInto, registerPanelKind, type PanelParams } from "../pin";
import { onRowKey, table } from "./table";
import { TraceDetail } from "./trace_detail";

const FIELDS = ["name", "status", "min_ms", "max_ms", "attr", "limit"] as const;

// The scatter of the search's traces (start × duration), pinnable with the service and the
// search fields.
registerPanelKind({
  kind: "traces.scatter",
  title: (p) => [t("tr.results"), p.service, p.name].filter(Boolean).join(" · "),
  w: 6,
  h: 3,
  create: () => onlyPart(new TraceSearch(), "#traces-chart"),
});

export function createTraces(ctx: Ctx): PageView {
  if (ctx.state.sub) {
    const start = ctx.state.extra.start;
    return new TraceDetail(ctx.state.sub, start ? { service: ctx.state.service, startMs: Number(start) } : null);
  }
  return new TraceSearch(ctx);
}

class TraceSearch implements PageView {
  readonly el: HTMLElement;
  private readonly results: Panel;
  private readonly chart: Chart;
  private loaded = false;
  private lastKey: string | null = null;
  private ctx: Ctx | null;
  private shown: PanelParams = {};

  /** `ctx` fills the search form (a pinned scatter has none). */
  constructor(ctx?: Ctx) {
    this.ctx = ctx ?? null;
    const x = ctx?.state.extra ?? {};
    const input = (name: string, label: string, type = "text", placeholder = "") =>
      h("label", { class: "field" }, h("span", null, label), h("input", { name, type, value: x[name] ?? "", placeholder, id: `q-${name}` }));
    const status = h(
      "select",
      { name: "status", id: "q-status" },
      h("option", { value: "" }, t("common.any")),
      h("option", { value: "ok", selected: x.status === "ok" }, t("common.ok")),
      h("option", { value: "error", selected: x.status === "error" }, t("common.error")),
    );
    const form = h(
      "form",
      {
        class: "search-form",
        id: "trace-search",
        onsubmit: (e: Event) => {
          e.preventDefault();
          const fd = new FormData(e.target as HTMLFormElement);
          const extra: Record<string, string> = {};
          for (const f of FIELDS) {
            const v = String(fd.get(f) ?? "").trim();
            if (v) extra[f] = v;
          }
          this.ctx?.navigate({ extra });
        },
      },
      input("name", t("tr.endpoint"), "text", "GET /orders"),
      h("label", { class: "field" }, h("span", null, t("common.status")), status),
      input("min_ms", t("tr.minMs"), "number"),
      input("max_ms", t("tr.maxMs"), "number"),
      input("attr", t("tr.attr"), "text", "http.route:/orders"),
      input("limit", t("tr.limit"), "number", "100"),
      h("button", { class: "btn primary", type: "submit", id: "q-submit" }, t("common.search")),
    );
    const searchPanel = new Panel(t("tr.search"), { id: "search-panel" });
    searchPanel.setStatus(null);
    pinInto(searchPanel.el, "traces.scatter", () => this.shown);
    const box = h("div", { class: "chart-box short", id: "traces-chart" });
    searchPanel.body.append(form, box);
    this.chart = new Chart(box);
    this.results = new Panel(t("tr.results"), { id: "traces-panel" });
    this.el = h("div", { class: "page traces", id: "page-traces" }, searchPanel.el, this.results.el);
  }

  async refresh(ctx: Ctx, signal: AbortSignal): Promise<void> {
    this.ctx = ctx;
    const x = ctx.state.extra;
    this.shown = { service: ctx.state.service, ...Object.fromEntries(FIELDS.map((f) => [f, x[f] ?? ""])) };
    let traces: TraceSummary[];
    try {
      const resp = await api.traces(
        {
          service: ctx.state.service || undefined,
          name: x.name,
          status: x.status,
          min_ms: x.min_ms,
          max_ms: x.max_ms,
          attr: x.attr,
          limit: x.limit || 100,
          from: ctx.window.from,
          to: ctx.window.to,
        },
        signal,
      );
      traces = resp.traces;
    } catch (err) {
      if ((err as Error).name === "AbortError") throw err;
      this.results.setStatus(errorBox(err), this.loaded);
      return;
    }
    this.loaded = true;
    this.results.setTitle(`${t("tr.results")} (${traces.length})`);
    // Live refresh: redraw nothing when nothing changed (the table below is patched in place).
    const key = traces.map((tr) => tr.trace_id).join(",");
    if (key === this.lastKey) return;
    this.lastKey = key;
    const p = palette();
    this.chart.set(
      {
        ...baseOption(),
        tooltip: { ...(baseOption().tooltip as object), trigger: "item", formatter: (it: { data: { v: TraceSummary } }) => `${esc(it.data.v.root_name)}<br/>${fmtMs(it.data.v.duration_ms)}` },
        xAxis: timeAxis(),
        yAxis: { ...valueAxis((v) => fmtMs(v)), type: "log", min: undefined },
        series: [
          {
            type: "scatter",
            symbolSize: 6,
            data: traces.map((tr) => ({ value: [tr.start, Math.max(0.1, tr.duration_ms)], v: tr, itemStyle: { color: tr.error ? p.bad : p.series[0] } })),
          },
        ],
      },
      traces.length,
      true,
    );
    this.chart.inst.off("click");
    this.chart.inst.on("click", (it: unknown) => {
      const tr = (it as { data?: { v?: TraceSummary } }).data?.v;
      if (tr) ctx.navigate({ sub: tr.trace_id, extra: {} });
    });
    if (!traces.length) {
      view(this.results.body, nothing);
      this.results.setStatus(emptyState(t("tr.none")));
      return;
    }
    const open = (tr: TraceSummary) => () => ctx.navigate({ sub: tr.trace_id, extra: {} });
    view(
      this.results.body,
      table({
        id: "traces-table",
        head: [t("tr.start"), t("common.service"), t("tr.root"), t("common.duration"), t("tr.spans"), t("common.status"), "trace id"],
        rows: traces,
        key: (tr) => tr.trace_id,
        row: (tr) => html`<tr class="clickable ${tr.error ? "err" : ""}" tabindex="0" data-trace-id=${tr.trace_id} @click=${open(tr)} @keydown=${onRowKey(open(tr))}>
          <td>${fmtTime(tr.start, true)}</td>
          <td>${tr.root_service}</td>
          <td class="name">${tr.root_name}</td>
          <td class="num">${fmtMs(tr.duration_ms)}</td>
          <td class="num">${tr.span_count}</td>
          <td><span class="badge ${tr.error ? "bad" : "ok"}">${tr.error ? t("common.error") : t("common.ok")}</span></td>
          <td class="mono" title=${tr.trace_id}>${tr.trace_id.slice(0, 16)}</td>
        </tr>`,
      }),
    );
    this.results.setStatus(null);
  }

  dispose(): void {
    this.chart.dispose();
  }
}
