// Tables that refresh in place. Rows are lit-html templates keyed by what they show (a
// span, an instance, a capture), so the 5-second refresh (`view()` from dom.ts) patches
// the cells that changed and keeps every row's DOM node: scroll position, focus, text
// selection and open rows survive it.

import type { TemplateResult } from "lit-html";
import { html, repeat } from "../dom";

export interface TableSpec<T> {
  id: string;
  head: readonly string[];
  rows: readonly T[];
  /** Unique per row: the row's DOM node follows its key across refreshes. */
  key: (row: T) => string;
  row: (row: T) => TemplateResult;
}

/** A scrolling `table.grid` whose rows are kept by key between renders. */
export function table<T>(spec: TableSpec<T>): TemplateResult {
  return html`<div class="table-wrap">
    <table class="grid" id=${spec.id}>
      <thead><tr>${spec.head.map((c) => html`<th>${c}</th>`)}</tr></thead>
      <tbody>${repeat(unique(spec.rows, spec.key), spec.key, spec.row)}</tbody>
    </table>
  </div>`;
}

/** Keyboard access for a clickable row: Enter or Space does what a click does. */
export function onRowKey(go: () => void): (e: KeyboardEvent) => void {
  return (e) => {
    if (e.target !== e.currentTarget || (e.key !== "Enter" && e.key !== " ")) return;
    e.preventDefault();
    go();
  };
}

/** Duplicate keys would make `repeat` reuse one node twice: keep the first of each. */
function unique<T>(rows: readonly T[], key: (row: T) => string): T[] {
  const seen = new Set<string>();
  return rows.filter((r) => {
    const k = key(r);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
