// A tiny element builder for static structure, and lit-html for views that re-render
// in place (tables, forms): see `view()` below and docs/web.md, "View library".

import { html as litHtml, nothing as nothingValue, render, type TemplateResult } from "lit-html";
import { ApiError } from "./api";
import { whyNoWrite, type Role } from "./access";
import { t } from "./i18n";

export { html, nothing, svg } from "lit-html";
export { repeat } from "lit-html/directives/repeat.js";
export { live } from "lit-html/directives/live.js";

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | EventListener | null | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs | null = null,
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith("on") && typeof v === "function") {
        el.addEventListener(k.slice(2).toLowerCase(), v);
      } else if (k === "class") {
        el.className = String(v);
      } else if (v === true) {
        el.setAttribute(k, "");
      } else {
        el.setAttribute(k, String(v));
      }
    }
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

/** Text with `backticks` rendered as <code>, used by empty states. */
export function richText(text: string): HTMLElement {
  const p = h("p");
  text.split(/(`[^`]+`)/).forEach((part) => {
    if (part.startsWith("`") && part.endsWith("`")) p.append(h("code", null, part.slice(1, -1)));
    else if (part) p.append(part);
  });
  return p;
}

export function emptyState(title: string, body?: string): HTMLElement {
  return h("div", { class: "empty", "data-state": "empty" }, h("strong", null, title), body ? richText(body) : null);
}

export function loading(): HTMLElement {
  return h("div", { class: "loading", "data-state": "loading" }, h("span", { class: "spinner" }), t("common.loading"));
}

export function errorBox(err: unknown, retry?: () => void): HTMLElement {
  const msg = err instanceof ApiError ? err.message : String((err as Error)?.message ?? err);
  return h(
    "div",
    { class: "api-error", role: "alert", "data-state": "error" },
    h("strong", null, t("common.apiError")),
    h("span", null, msg),
    retry ? h("button", { class: "btn small", onclick: () => retry() }, t("common.retry")) : null,
  );
}

/** A titled panel with a body slot; `status` shows loading/error/empty over the body. */
export class Panel {
  readonly el: HTMLElement;
  readonly body: HTMLElement;
  private readonly statusEl: HTMLElement;
  private readonly titleEl: HTMLElement;

  constructor(title: string, opts: { cls?: string; id?: string; hint?: string; actions?: HTMLElement } = {}) {
    this.titleEl = h("h3", null, title);
    this.statusEl = h("div", { class: "panel-status" });
    this.body = h("div", { class: "panel-body" });
    this.el = h(
      "section",
      { class: `panel ${opts.cls ?? ""}`, id: opts.id },
      h("header", null, this.titleEl, opts.hint ? h("span", { class: "hint" }, opts.hint) : null, opts.actions ?? null),
      this.statusEl,
      this.body,
    );
    this.setStatus(loading());
  }

  setTitle(title: string): void {
    this.titleEl.textContent = title;
  }

  /** Show a status overlay (loading, error, empty) or clear it with null. */
  setStatus(node: HTMLElement | null, keepBody = false): void {
    this.statusEl.replaceChildren(...(node ? [node] : []));
    this.el.classList.toggle("status-only", node !== null && !keepBody);
  }
}

const litOwned = new WeakSet<HTMLElement>();

/**
 * Render a lit-html template into `el`, updating only what changed since the last call:
 * rows keyed with `repeat` move instead of being rebuilt, and focus, selection, scroll
 * and open <select>s survive a live refresh. `el` belongs to lit from the first call
 * (whatever it held is cleared once); do not mix it with `h()` children.
 *
 *     view(tbody, html`${repeat(rows, (r) => r.id, (r) => html`<tr><td>${r.name}</td></tr>`)}`);
 */
export function view(el: HTMLElement, template: TemplateResult | typeof nothingValue): void {
  if (!litOwned.has(el)) {
    el.replaceChildren();
    litOwned.add(el);
  }
  render(template, el);
}

/** What a page shows where its write controls would be when the caller may not write
 *  (`canWrite()` false: a viewer, or a read-only organisation): the reason, one line. */
export function writeHint(min: Role = "editor"): TemplateResult {
  return litHtml`<p class="write-hint" data-write="off">${whyNoWrite(min)}</p>`;
}
