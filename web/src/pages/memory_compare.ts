// Memory analyzer (Diagnostics): pick two memory captures of one instance (by default
// the newest and the one before it) and see the types and allocation sites that grew
// between them, ranked by bytes: the leak suspects, as the server's compare gives them
// (`GET /api/v1/captures/compare?base=&other=`). `?base=<id>&other=<id>` in the URL
// reproduces the view; a capture of another instance cannot be picked as the base.

import type { TemplateResult } from "lit-html";
import { emptyState, errorBox, h, html, loading, nothing, Panel, view } from "../dom";
import { fmtBytes, fmtNum, fmtTime } from "../format";
import { t, tf } from "../i18n";
import type { Ctx, PageView } from "../page";
import { onlyPart, pinInto, registerPanelKind, type PanelParams } from "../pin";
import { diag, memoryView, num, triggerBadge, triggerOf, type AnyCapture, type CaptureComparison, type MemoryComparison } from "./capture_views";
import { InstanceNames } from "./names";
import { table } from "./table";
import "./diagnostics.css";

export function createMemoryCompare(ctx: Ctx): PageView {
  return new MemoryCompare(ctx);
}

// Pinnable: the comparison (`memory.compare`, the page has no chart or tile): of the two
// captures chosen, or, when none were, of the newest two of the service / instance (the
// pinned panel then follows new captures).
registerPanelKind({
  kind: "memory.compare",
  title: (p: PanelParams) => [t("mc.grew"), p.service, p.instance].filter(Boolean).join(" · "),
  w: 12,
  h: 6,
  create: () => onlyPart(new MemoryCompare(), "#memory-compare-panel"),
});

/** A type or an allocation site that grew, as the compare gives it. */
interface Growth {
  key: string;
  base_bytes: number;
  other_bytes: number;
  bytes_grown: number;
  base_count: number;
  other_count: number;
  count_grown: number;
}

function signed(v: number | null | undefined, fmt: (x: number) => string): string {
  if (v === null || v === undefined) return "–";
  return v > 0 ? `+${fmt(v)}` : v < 0 ? `−${fmt(-v)}` : fmt(0);
}

class MemoryCompare implements PageView {
  readonly el: HTMLElement;
  private readonly pickPanel = new Panel(t("mc.pick"), { id: "memory-pick-panel", hint: t("mc.pickHint") });
  private readonly resultPanel = new Panel(t("mc.grew"), { id: "memory-compare-panel" });
  private readonly names = new InstanceNames();
  private ctx: Ctx | undefined;
  private captures: AnyCapture[] = [];
  private base = "";
  private other = "";
  /** The captures were chosen (in the URL or the pickers), not the newest two. */
  private picked = false;
  private compared = "";
  private readonly aborts = new AbortController();

  constructor(ctx?: Ctx) {
    if (ctx) this.start(ctx);
    pinInto(this.resultPanel.el, "memory.compare", () => ({
      service: this.ctx?.state.service ?? "",
      instance: this.ctx?.state.instance ?? "",
      ...(this.picked ? { base: this.base, other: this.other } : {}),
    }));
    this.el = h("div", { class: "page diagnostics", id: "page-memory" }, this.pickPanel.el, this.resultPanel.el);
  }

  private start(ctx: Ctx): void {
    this.ctx = ctx;
    this.base = ctx.state.extra.base ?? "";
    this.other = ctx.state.extra.other ?? "";
    this.picked = !!(this.base || this.other);
  }

  async refresh(ctx: Ctx, signal: AbortSignal): Promise<void> {
    if (!this.ctx) this.start(ctx);
    this.ctx = ctx;
    this.names.learn([], ctx.instanceNames);
    try {
      const s = ctx.state;
      const body = await diag.list({ service: s.service || undefined, instance: s.instance || undefined, kind: "memory", limit: 200 }, signal);
      this.captures = body.captures.filter((c) => c.status === "done");
      this.names.learn(body.captures);
    } catch (err) {
      if ((err as Error).name === "AbortError") throw err;
      this.pickPanel.setStatus(errorBox(err), this.captures.length > 0);
      return;
    }
    this.pickDefaults();
    this.renderPick();
    await this.compare(signal);
  }

  /** The instance compared: the other capture's. */
  private instance(): string {
    return this.captures.find((c) => c.id === this.other)?.instance ?? "";
  }

  /** Newest first from the API: `other` the newest (of its instance), `base` the one before it. */
  private pickDefaults(): void {
    if (!this.captures.some((c) => c.id === this.other)) this.other = this.captures[0]?.id ?? "";
    const inst = this.instance();
    const same = this.captures.filter((c) => c.instance === inst && c.id !== this.other);
    if (!same.some((c) => c.id === this.base)) {
      const otherAt = this.captures.find((c) => c.id === this.other)?.captured_at ?? Infinity;
      this.base = same.find((c) => (c.captured_at ?? 0) <= otherAt)?.id ?? same[0]?.id ?? "";
    }
  }

  private label(c: AnyCapture): string {
    const rss = num(c.summary?.rss_bytes);
    return `${c.captured_at ? fmtTime(c.captured_at, true) : c.id} · ${this.names.of(c.instance)}${rss === null ? "" : ` · RSS ${fmtBytes(rss)}`}`;
  }

  private renderPick(): void {
    if (!this.captures.length) {
      view(this.pickPanel.body, nothing);
      this.pickPanel.setStatus(emptyState(t("mc.none"), t("mc.noneBody")));
      return;
    }
    const inst = this.instance();
    const bases = this.captures.filter((c) => c.instance === inst && c.id !== this.other);
    const choose = (which: "base" | "other") => (e: Event) => {
      const id = (e.currentTarget as HTMLSelectElement).value;
      if (which === "other") {
        this.other = id;
        this.base = ""; // the other's instance may differ: pick its previous capture again
        this.pickDefaults();
      } else {
        this.base = id;
      }
      this.picked = true;
      this.ctx?.setExtra({ base: this.base, other: this.other });
      this.renderPick();
      void this.compare(this.aborts.signal).catch(() => undefined);
    };
    const option = (c: AnyCapture, selected: string) => html`<option value=${c.id} ?selected=${c.id === selected}>${this.label(c)}</option>`;
    view(
      this.pickPanel.body,
      html`<div class="compare-pick">
        <label class="field">${t("mc.base")}
          <select id="compare-base" @change=${choose("base")} ?disabled=${!bases.length}>
            ${bases.length ? bases.map((c) => option(c, this.base)) : html`<option value="">${t("mc.noBase")}</option>`}
          </select>
        </label>
        <span class="arrow">→</span>
        <label class="field">${t("mc.other")}
          <select id="compare-other" @change=${choose("other")}>${this.captures.map((c) => option(c, this.other))}</select>
        </label>
      </div>`,
    );
    this.pickPanel.setStatus(null);
  }

  private async compare(signal: AbortSignal): Promise<void> {
    const other = this.captures.find((c) => c.id === this.other);
    if (!other) {
      this.resultPanel.el.hidden = true;
      return;
    }
    this.resultPanel.el.hidden = false;
    const key = `${this.base} ${this.other}`;
    if (!this.base) {
      // One capture only: show what it holds; growth needs a second one.
      let full: AnyCapture;
      try {
        full = await diag.one(other.id, signal);
      } catch (err) {
        if ((err as Error).name === "AbortError") throw err;
        this.resultPanel.setStatus(errorBox(err));
        return;
      }
      this.compared = key;
      this.resultPanel.setTitle(`${t("mc.one")} · ${this.names.of(other.instance)}`);
      this.resultPanel.el.dataset.other = other.id;
      this.resultPanel.el.dataset.base = "";
      view(this.resultPanel.body, html`<p class="muted">${t("mc.needTwo")}</p>${memoryView(full)}`);
      this.resultPanel.setStatus(null);
      return;
    }
    if (this.compared === key) return; // captures do not change: compare each pair once
    this.resultPanel.setStatus(loading(), true);
    let body: CaptureComparison;
    try {
      body = await diag.compare(this.base, this.other, signal);
    } catch (err) {
      if ((err as Error).name === "AbortError") throw err;
      this.resultPanel.setStatus(errorBox(err, () => void this.compare(this.aborts.signal)));
      return;
    }
    if (`${this.base} ${this.other}` !== key) return; // the user picked again meanwhile
    this.compared = key;
    this.renderCompare(body);
  }

  private renderCompare(body: CaptureComparison): void {
    const base = this.captures.find((c) => c.id === this.base);
    const other = this.captures.find((c) => c.id === this.other);
    // Both captures are memory ones (the list holds no other kind): a memory comparison.
    const c = body.comparison as MemoryComparison;
    const grewTypes: Growth[] = c.types.filter((g) => g.bytes_grown > 0).map((g) => ({ ...g, key: g.type }));
    const grewSites: Growth[] = c.sites.filter((g) => g.bytes_grown > 0).map((g) => ({ ...g, key: g.site }));
    const rssDelta = c.rss_delta_bytes;
    const headline = c.headline;
    const seconds = c.interval_s ?? (base?.captured_at && other?.captured_at ? (other.captured_at - base.captured_at) / 1000 : null);
    this.resultPanel.el.dataset.base = this.base;
    this.resultPanel.el.dataset.other = this.other;
    this.resultPanel.setTitle(`${t("mc.grew")} · ${this.names.of(other?.instance ?? "")}`);
    const growthTable = (id: string, head: string, rows: Growth[], attr: string): TemplateResult =>
      rows.length
        ? table({
            id,
            head: ["#", head, t("mc.deltaBytes"), t("mc.bytes"), t("mc.deltaCount"), t("mc.count")],
            rows,
            key: (g) => g.key,
            row: (g) => html`<tr data-key=${g.key} data-attr=${attr} data-delta-bytes=${g.bytes_grown}>
              <td class="num rank">${rows.indexOf(g) + 1}</td>
              <td class="mono name">${g.key}</td>
              <td class="num delta grew">${signed(g.bytes_grown, fmtBytes)}</td>
              <td class="num">${fmtBytes(g.base_bytes)} → ${fmtBytes(g.other_bytes)}</td>
              <td class="num">${signed(g.count_grown, (x) => fmtNum(x))}</td>
              <td class="num">${fmtNum(g.base_count)} → ${fmtNum(g.other_count)}</td>
            </tr>`,
          })
        : html`<p class="muted">${t("mc.nothingGrew")}</p>`;
    view(
      this.resultPanel.body,
      html`${headline ? html`<p class="headline" id="compare-headline">${headline}</p>` : nothing}
        <dl class="kv compare-meta">
          <dt>${t("mc.base")}</dt><dd>${base ? html`${this.label(base)} ${triggerBadge(triggerOf(base))}` : "–"}</dd>
          <dt>${t("mc.other")}</dt><dd>${other ? html`${this.label(other)} ${triggerBadge(triggerOf(other))}` : "–"}</dd>
          <dt>${t("mc.apart")}</dt><dd>${seconds === null ? "–" : tf("mc.seconds", { s: fmtNum(seconds, 0) })}</dd>
          ${rssDelta === null ? nothing : html`<dt>RSS</dt><dd id="compare-rss">${signed(rssDelta, fmtBytes)}</dd>`}
        </dl>
        <h4>${tf("mc.types", { n: grewTypes.length })}</h4>
        ${growthTable("compare-types", t("mc.type"), grewTypes, "type")}
        <h4>${tf("mc.sites", { n: grewSites.length })}</h4>
        ${grewSites.length || c.sites.length ? growthTable("compare-sites", t("mc.site"), grewSites, "site") : html`<p class="muted">${t("mc.noSites")}</p>`}`,
    );
    this.resultPanel.setStatus(null);
  }

  dispose(): void {
    this.aborts.abort();
  }
}
