// Request velocity: recent transactions replayed as dots flowing into their instance,
// a few seconds behind real time (the refresh interval), coloured by response time.
// Slow requests travel slowly, so a latency spike is visible as a traffic jam.

import { api, type Transaction } from "../api";
import { palette } from "../charts";
import { emptyState, errorBox, h, Panel } from "../dom";
import { fmtMs } from "../format";
import { t } from "../i18n";
import type { Ctx } from "../page";
import { InstanceNames, markLabels } from "./names";

/** Replay delay: transactions from the last refresh interval are spread over the next one. */
const REPLAY_DELAY_MS = 6000;
const MAX_DOTS = 600;

interface Dot {
  lane: number;
  born: number;
  travel: number;
  color: string;
  y: number;
}

export class Velocity {
  readonly panel: Panel;
  private readonly canvas: HTMLCanvasElement;
  private readonly legend: HTMLElement;
  /** Instance ids, one lane each; drawn with their names. */
  private lanes: string[] = [];
  private labels: string[] = [];
  private dots: Dot[] = [];
  private lastTs = 0;
  private raf = 0;
  private seen = new Set<string>();
  private arrived = new Map<string, number>();

  constructor() {
    this.panel = new Panel(t("dash.velocity"), { cls: "velocity", id: "velocity-panel", hint: t("dash.velocityHint") });
    this.canvas = h("canvas", { class: "velocity-canvas", id: "velocity-canvas" });
    this.legend = h("div", { class: "velocity-legend" });
    this.panel.body.append(h("div", { class: "chart-box" }, this.canvas), this.legend);
    this.renderLegend();
    this.raf = requestAnimationFrame((ts) => this.frame(ts));
  }

  async refresh(ctx: Ctx, lanes: string[], names: InstanceNames, signal: AbortSignal): Promise<void> {
    this.lanes = ctx.state.instance ? [ctx.state.instance] : lanes.slice(0, 12);
    this.label(names);
    if (!ctx.live) {
      this.panel.setStatus(emptyState(t("top.paused")));
      return;
    }
    const now = Date.now();
    const from = Math.max(this.lastTs + 1, now - 10_000);
    let rows: Transaction[];
    try {
      const resp = await api.transactions(
        ctx.state.service,
        { from, to: now, limit: 300, instance: ctx.state.instance || undefined },
        signal,
      );
      rows = resp.transactions;
    } catch (err) {
      if ((err as Error).name === "AbortError") throw err;
      this.panel.setStatus(errorBox(err), true);
      return;
    }
    names.learn(rows);
    this.panel.setStatus(this.lanes.length ? null : emptyState(t("common.noData")));
    const p = palette();
    const perf = performance.now();
    for (const tx of rows) {
      const key = tx.span_id || `${tx.trace_id}:${tx.ts}`;
      if (this.seen.has(key)) continue;
      this.seen.add(key);
      this.lastTs = Math.max(this.lastTs, tx.ts);
      let lane = this.lanes.indexOf(tx.instance);
      if (lane < 0) {
        if (this.lanes.length >= 12) continue;
        this.lanes.push(tx.instance);
        lane = this.lanes.length - 1;
      }
      const err = tx.status === "error" || (tx.http_status ?? 0) >= 500;
      const color = err ? p.bad : tx.duration_ms < 500 ? p.good : tx.duration_ms < 2000 ? p.warn : "#ff7b72";
      // Spread arrivals by their real timestamps, a replay delay behind.
      const born = perf + (tx.ts - now) + REPLAY_DELAY_MS;
      this.dots.push({ lane, born, travel: Math.min(4000, 700 + tx.duration_ms * 1.5), color, y: Math.random() * 0.6 + 0.2 });
    }
    this.label(names);
    if (this.seen.size > 5000) this.seen = new Set([...this.seen].slice(-2000));
    if (this.dots.length > MAX_DOTS) this.dots.splice(0, this.dots.length - MAX_DOTS);
    this.canvas.dataset.dots = String(this.dots.length);
  }

  private label(names: InstanceNames): void {
    this.labels = names.labels(this.lanes);
    markLabels(this.canvas, this.labels);
  }

  private renderLegend(): void {
    const p = palette();
    const item = (c: string, label: string) => h("span", null, h("i", { style: `background:${c}` }), label);
    this.legend.replaceChildren(
      item(p.good, `< ${fmtMs(500)}`),
      item(p.warn, `< ${fmtMs(2000)}`),
      item("#ff7b72", `≥ ${fmtMs(2000)}`),
      item(p.bad, t("common.error")),
    );
  }

  private frame(now: number): void {
    this.raf = requestAnimationFrame((ts) => this.frame(ts));
    const c = this.canvas;
    const rect = c.getBoundingClientRect();
    if (rect.width === 0 || document.hidden) return;
    const dpr = window.devicePixelRatio || 1;
    if (c.width !== Math.round(rect.width * dpr) || c.height !== Math.round(rect.height * dpr)) {
      c.width = Math.round(rect.width * dpr);
      c.height = Math.round(rect.height * dpr);
    }
    const g = c.getContext("2d");
    if (!g) return;
    const p = palette();
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, rect.width, rect.height);
    const n = Math.max(1, this.lanes.length);
    const laneH = rect.height / n;
    const labelW = Math.min(180, rect.width * 0.3);
    const trackEnd = rect.width - labelW - 12;
    g.font = '12px system-ui, "Noto Sans KR", "NanumGothic", sans-serif';
    g.textBaseline = "middle";
    for (let i = 0; i < this.lanes.length; i++) {
      const y = laneH * i + laneH / 2;
      g.strokeStyle = p.split;
      g.beginPath();
      g.moveTo(0, y);
      g.lineTo(trackEnd, y);
      g.stroke();
      g.fillStyle = p.axis;
      g.fillRect(trackEnd, laneH * i + 4, 6, laneH - 8);
      g.fillStyle = p.text;
      const count = this.arrived.get(this.lanes[i]) ?? 0;
      g.fillText(`${this.labels[i] ?? this.lanes[i]}  ·  ${count}`, trackEnd + 12, y, labelW - 4);
    }
    const keep: Dot[] = [];
    for (const d of this.dots) {
      const f = (now - d.born) / d.travel;
      if (f < 0) {
        keep.push(d);
        continue;
      }
      if (f >= 1) {
        const name = this.lanes[d.lane];
        if (name) this.arrived.set(name, (this.arrived.get(name) ?? 0) + 1);
        continue;
      }
      keep.push(d);
      const x = f * trackEnd;
      const y = laneH * d.lane + laneH * d.y;
      g.fillStyle = d.color;
      g.beginPath();
      g.arc(x, y, 3.5, 0, Math.PI * 2);
      g.fill();
    }
    this.dots = keep;
  }

  dispose(): void {
    cancelAnimationFrame(this.raf);
  }
}
