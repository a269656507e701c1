// ECharts, tree-shaken to the charts and components the console uses, and a small
// wrapper that resizes with its box. Tests read the chart element, never ECharts:
// `data-rendered="1"` once drawn, `data-points` (what the page said it plotted),
// `data-renderer`; with `renderer: "svg"` the drawn labels and shapes are DOM nodes.

import * as echarts from "echarts/core";
import { BarChart, GraphChart, HeatmapChart, LineChart, ScatterChart } from "echarts/charts";
import {
  BrushComponent,
  DataZoomComponent,
  GridComponent,
  LegendComponent,
  MarkAreaComponent,
  MarkLineComponent,
  TitleComponent,
  TooltipComponent,
  VisualMapComponent,
} from "echarts/components";
import { CanvasRenderer, SVGRenderer } from "echarts/renderers";
import type { EChartsCoreOption } from "echarts/core";

echarts.use([
  BarChart,
  GraphChart,
  HeatmapChart,
  LineChart,
  ScatterChart,
  BrushComponent,
  DataZoomComponent,
  GridComponent,
  LegendComponent,
  MarkAreaComponent,
  MarkLineComponent,
  TitleComponent,
  TooltipComponent,
  VisualMapComponent,
  CanvasRenderer,
  SVGRenderer,
]);

export type Option = EChartsCoreOption;

export { echarts };

export interface Palette {
  text: string;
  muted: string;
  axis: string;
  split: string;
  tooltipBg: string;
  series: string[];
  good: string;
  warn: string;
  bad: string;
  heat: string[];
}

/** Canvas text does not inherit CSS fonts: name the same stack (Hangul included). */
const FONT = 'system-ui, "Segoe UI", "Noto Sans KR", "Apple SD Gothic Neo", "Malgun Gothic", "NanumGothic", sans-serif';

export function palette(): Palette {
  const dark = document.documentElement.dataset.theme !== "light";
  return dark
    ? {
        text: "#d8dee9",
        muted: "#8b95a7",
        axis: "#3b4252",
        split: "#2a303c",
        tooltipBg: "#1f2430",
        series: ["#5ab0ff", "#7bd88f", "#ffb454", "#c792ea", "#f07178", "#4dd0e1", "#e6c07b", "#9aa5ce"],
        good: "#3fb950",
        warn: "#d29922",
        bad: "#f85149",
        heat: ["#1b2a44", "#1f4f8a", "#2f81f7", "#6cb6ff", "#cae8ff"],
      }
    : {
        text: "#1f2328",
        muted: "#656d76",
        axis: "#d0d7de",
        split: "#eaeef2",
        tooltipBg: "#ffffff",
        series: ["#0969da", "#1a7f37", "#bc4c00", "#8250df", "#cf222e", "#0598bc", "#9a6700", "#57606a"],
        good: "#1a7f37",
        warn: "#bf8700",
        bad: "#cf222e",
        heat: ["#e8f1fb", "#b6d4fe", "#6ea8fe", "#2f6fdb", "#0a3d91"],
      };
}

/** Axis/tooltip defaults matching the current theme. */
export function baseOption(): Option {
  const p = palette();
  return {
    backgroundColor: "transparent",
    color: p.series,
    textStyle: { color: p.text, fontFamily: FONT },
    animation: false,
    tooltip: {
      trigger: "axis",
      backgroundColor: p.tooltipBg,
      borderColor: p.axis,
      textStyle: { color: p.text },
      confine: true,
    },
    legend: { textStyle: { color: p.muted }, top: 0, type: "scroll" },
    grid: { left: 8, right: 16, top: 28, bottom: 8, containLabel: true },
  };
}

/** A time x axis; pass the window so every chart on a page spans the same range. */
export function timeAxis(w?: { from: number; to: number }): Record<string, unknown> {
  const p = palette();
  return {
    type: "time",
    min: w?.from,
    max: w?.to,
    axisLine: { lineStyle: { color: p.axis } },
    axisLabel: { color: p.muted, hideOverlap: true },
    splitLine: { show: false },
  };
}

export function valueAxis(formatter?: (v: number) => string): Record<string, unknown> {
  const p = palette();
  return {
    type: "value",
    axisLabel: { color: p.muted, formatter },
    splitLine: { lineStyle: { color: p.split } },
    min: 0,
  };
}

export interface ChartOptions {
  /** "svg" draws into the DOM (text and shapes a test or a screen reader can find, crisp
   *  labels); "canvas" (default) is faster for many points (T-Map, scatter). */
  renderer?: "canvas" | "svg";
}

/**
 * One ECharts instance in one element. Updates merge into the previous option, so
 * zoom (dataZoom) and brush state survive the 5-second refresh without a redraw flash.
 */
export class Chart {
  readonly inst: echarts.ECharts;
  private readonly ro: ResizeObserver;
  /** Options set while the element had no size, drawn in order once it has one. */
  private pending: { option: Option; notMerge: boolean }[] = [];

  constructor(
    readonly el: HTMLElement,
    opts: ChartOptions = {},
  ) {
    el.classList.add("chart");
    const renderer = opts.renderer ?? "canvas";
    el.dataset.renderer = renderer;
    this.inst = echarts.init(el, undefined, { renderer });
    // Registered before the first setOption: ECharts 6 may finish in the same tick.
    this.inst.on("finished", () => {
      el.dataset.rendered = "1";
    });
    this.ro = new ResizeObserver(() => this.fit());
    this.ro.observe(el);
  }

  /** Whether the element has a size to draw in: a detached or hidden one is 0×0, and a
   *  graph laid out in 0×0 divides by zero inside ECharts (a page error). */
  private get sized(): boolean {
    return this.el.clientWidth > 0 && this.el.clientHeight > 0;
  }

  private fit(): void {
    if (this.inst.isDisposed() || !this.sized) return;
    if (this.inst.getWidth() !== this.el.clientWidth || this.inst.getHeight() !== this.el.clientHeight) this.inst.resize();
    const pending = this.pending;
    this.pending = [];
    for (const p of pending) this.inst.setOption(p.option, { notMerge: p.notMerge, lazyUpdate: false });
  }

  set(option: Option, points: number, notMerge = false): void {
    if (this.inst.isDisposed()) return; // a refresh finishing after navigation
    this.el.dataset.points = String(points);
    // Pages build charts before their element is attached: draw once it has a size.
    if (notMerge) this.pending = [];
    this.pending.push({ option, notMerge });
    this.fit();
  }

  /** Merge `option` into what is drawn (markers on a series), in order with `set`. */
  merge(option: Option): void {
    if (this.inst.isDisposed()) return;
    this.pending.push({ option, notMerge: false });
    this.fit();
  }

  dispose(): void {
    this.ro.disconnect();
    this.inst.dispose();
  }
}
