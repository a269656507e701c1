// The shell's search box (issue 13, item 6): `/` focuses it from anywhere but a field;
// results come as you type (debounced), `GET /api/v1/search` (services, instances, pods,
// endpoints, trace ids, hosts, databases, events) merged with the console's own pages
// matched by their menu labels in the current language; grouped by kind, driven by the
// keyboard (up / down, Enter opens, Escape closes) or the mouse.

import "./search.css";
import { get } from "./api";
import type { Ok } from "./api/types";
import { h } from "./dom";
import { t, type Key } from "./i18n";
import { REGISTRY, type Page } from "./registry";
import { toHash, type ViewState } from "./state";

type Answer = Ok<"/api/v1/search">;
type ApiResult = Answer["results"][number];

/** One line of the list: where it goes and how it reads. */
export interface Result {
  kind: string;
  label: string;
  detail: string;
  /** The console URL it opens (`#/…`). */
  hash: string;
}

const DEBOUNCE_MS = 150;
const LIMIT = 20;
/** Pages listed at most. */
const PAGES = 6;
const KINDS = ["page", "service", "instance", "pod", "endpoint", "trace", "host", "database", "event"];
const TRACE_ID = /^[0-9a-f]{32}$/i;

export class SearchBox {
  readonly el: HTMLElement;
  private readonly input: HTMLInputElement;
  private readonly list: HTMLElement;
  private results: Result[] = [];
  private active = 0;
  private timer: number | undefined;
  private inflight: AbortController | null = null;
  private asked = "";

  constructor(private readonly state: () => ViewState) {
    this.input = h("input", {
      type: "search",
      id: "search-input",
      class: "search-input",
      autocomplete: "off",
      spellcheck: "false",
      role: "combobox",
      "aria-expanded": "false",
      "aria-controls": "search-results",
      "aria-autocomplete": "list",
    });
    this.list = h("div", { id: "search-results", class: "search-results", role: "listbox", hidden: true });
    this.el = h("div", { class: "search", id: "search" }, this.input, this.list);
    this.input.addEventListener("input", () => this.typed());
    this.input.addEventListener("keydown", (e) => this.key(e));
    this.input.addEventListener("focus", () => {
      if (this.input.value.trim() && (this.list.hidden || this.asked !== this.input.value.trim())) this.typed();
    });
    // A click on a result lands first; the shell moving the box (a top-bar rebuild)
    // gives the focus back at once.
    this.input.addEventListener("blur", () =>
      window.setTimeout(() => {
        if (document.activeElement !== this.input) this.close();
      }, 150),
    );
    document.addEventListener("keydown", (e) => {
      if (e.key !== "/" || e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) return;
      e.preventDefault();
      this.input.focus();
      this.input.select();
    });
    this.relabel();
  }

  /** True while the box has the focus (the shell asks before it rebuilds the top bar). */
  focused(): boolean {
    return document.activeElement === this.input;
  }

  /** Focus the box again, keeping what was typed and the caret. */
  refocus(): void {
    const [start, end] = [this.input.selectionStart, this.input.selectionEnd];
    this.input.focus({ preventScroll: true });
    if (start !== null && end !== null) this.input.setSelectionRange(start, end);
  }

  /** The placeholder in the current language (the shell calls it on every frame). */
  relabel(): void {
    this.input.placeholder = t("search.placeholder");
    this.input.setAttribute("aria-label", t("search.label"));
    this.input.title = t("search.label");
  }

  private typed(): void {
    window.clearTimeout(this.timer);
    const q = this.input.value.trim();
    if (!q) {
      this.close();
      return;
    }
    this.timer = window.setTimeout(() => void this.ask(q), DEBOUNCE_MS);
  }

  private async ask(q: string): Promise<void> {
    this.inflight?.abort();
    const ac = new AbortController();
    this.inflight = ac;
    this.asked = q;
    const s = this.state();
    const pages = matchPages(q, s);
    let found: Result[] = [];
    let failed = false;
    try {
      const body = await get<Answer>("/search", { q, limit: LIMIT }, ac.signal);
      found = body.results.map((r) => fromApi(r, s));
    } catch (err) {
      if ((err as Error).name === "AbortError") return;
      failed = true; // the pages (and a trace id) still answer
    }
    if (ac.signal.aborted || this.input.value.trim() !== q) return;
    if (TRACE_ID.test(q) && !found.some((r) => r.kind === "trace")) {
      found.unshift({ kind: "trace", label: q.toLowerCase(), detail: "", hash: toHash({ ...s, page: "traces", sub: q.toLowerCase(), extra: {} }) });
    }
    // A page whose label is the query itself comes first; otherwise the API's order.
    const exact = pages.some((p) => p.label.toLowerCase() === q.toLowerCase());
    this.show(exact ? [...pages, ...found] : [...found, ...pages], failed);
  }

  private show(results: Result[], failed: boolean): void {
    // Grouped by kind, kinds in the order they first appear.
    const order = [...new Set(results.map((r) => r.kind))];
    this.results = order.flatMap((k) => results.filter((r) => r.kind === k));
    this.active = 0;
    this.list.replaceChildren();
    this.list.dataset.query = this.asked;
    this.list.dataset.count = String(this.results.length);
    if (failed) this.list.dataset.failed = "1";
    else delete this.list.dataset.failed;
    if (!this.results.length) this.list.append(h("div", { class: "search-none" }, t("search.none")));
    let i = 0;
    for (const kind of order) {
      const group = h("div", { class: "search-group", role: "group", "data-kind": kind }, h("h5", null, kindLabel(kind)));
      for (const r of this.results.filter((x) => x.kind === kind)) {
        const idx = i++;
        group.append(
          h(
            "a",
            {
              class: "search-item",
              role: "option",
              id: `search-item-${idx}`,
              href: r.hash,
              "data-kind": r.kind,
              "data-index": idx,
              // Keep the focus in the box, so the blur does not close the list first.
              onmousedown: (e: Event) => e.preventDefault(),
              onclick: (e: Event) => {
                e.preventDefault();
                this.open(idx);
              },
              onmousemove: () => this.highlight(idx),
            },
            h("span", { class: "search-label" }, r.label),
            r.detail ? h("span", { class: "search-detail" }, r.detail) : null,
          ),
        );
      }
      this.list.append(group);
    }
    this.list.hidden = false;
    this.input.setAttribute("aria-expanded", "true");
    this.highlight(0);
  }

  private highlight(i: number): void {
    if (!this.results.length) return;
    this.active = (i + this.results.length) % this.results.length;
    for (const el of this.list.querySelectorAll<HTMLElement>(".search-item")) {
      const on = Number(el.dataset.index) === this.active;
      el.classList.toggle("active", on);
      el.setAttribute("aria-selected", String(on));
      if (on) {
        this.input.setAttribute("aria-activedescendant", el.id);
        el.scrollIntoView({ block: "nearest" });
      }
    }
  }

  private key(e: KeyboardEvent): void {
    if (e.key === "Escape") {
      e.preventDefault();
      this.close();
      this.input.blur();
    } else if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      if (this.list.hidden) this.typed();
      else this.highlight(this.active + (e.key === "ArrowDown" ? 1 : -1));
    } else if (e.key === "Enter") {
      e.preventDefault();
      // Enter before the debounce answered: ask now, then open the first.
      const q = this.input.value.trim();
      if (!q) return;
      if (this.asked !== q || this.list.hidden) {
        window.clearTimeout(this.timer);
        void this.ask(q).then(() => this.open(0));
      } else {
        this.open(this.active);
      }
    }
  }

  private open(i: number): void {
    const r = this.results[i];
    if (!r) return;
    this.close();
    this.input.value = "";
    this.input.blur();
    location.hash = r.hash;
  }

  private close(): void {
    window.clearTimeout(this.timer);
    this.inflight?.abort();
    this.list.hidden = true;
    this.input.setAttribute("aria-expanded", "false");
    this.input.removeAttribute("aria-activedescendant");
  }
}

/** True when a key press belongs to a field (typing a "/" there is text). */
function typing(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el || !el.tagName) return false;
  return el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName);
}

function kindLabel(kind: string): string {
  return t((KINDS.includes(kind) ? `search.kind.${kind}` : "search.kind.other") as Key);
}

/** Menu pages whose label (current language) or route contains the query. */
export function matchPages(q: string, s: ViewState): Result[] {
  const needle = q.toLowerCase();
  const out: { r: Result; rank: number }[] = [];
  for (const p of REGISTRY) {
    if (p.group === null) continue;
    const label = t(`nav.${p.route}`);
    const l = label.toLowerCase();
    const rank = l === needle ? 0 : l.startsWith(needle) ? 1 : l.includes(needle) ? 2 : p.route.includes(needle) ? 3 : -1;
    if (rank < 0) continue;
    out.push({ rank, r: { kind: "page", label, detail: t(`nav.group.${p.group}`), hash: toHash({ ...s, page: p.route, sub: "", extra: {} }) } });
  }
  return out.sort((a, b) => a.rank - b.rank).slice(0, PAGES).map((x) => x.r);
}

/** An API result as a console URL. The API names its route (dashboard, trace, events,
 *  databases, hosts, web) and parameters (service, instance, trace_id, id, db, host,
 *  endpoint); pages take them as the URL does. */
function fromApi(r: ApiResult, s: ViewState): Result {
  const p = r.params;
  const base = { ...s, sub: "", instance: "", extra: {} as Record<string, string> };
  let to: ViewState;
  switch (r.route) {
    case "trace":
      to = { ...base, page: "traces", sub: p.trace_id ?? r.label };
      break;
    case "events":
      to = { ...base, page: "events", sub: p.id ?? "" };
      break;
    case "databases":
      to = { ...base, page: "databases", extra: { db: p.db ?? r.label } };
      break;
    case "hosts":
      to = { ...base, page: "hosts", extra: { host: p.host ?? r.label } };
      break;
    case "web":
      to = { ...base, page: "web", extra: { svc: p.service ?? "", endpoint: p.endpoint ?? "" } };
      break;
    default: {
      const page = (REGISTRY.some((x) => x.route === r.route) ? r.route : "dashboard") as Page;
      to = { ...base, page, service: p.service || s.service, instance: p.instance ?? "" };
    }
  }
  for (const [k, v] of Object.entries(to.extra)) if (!v) delete to.extra[k];
  return { kind: r.kind, label: r.label, detail: r.detail, hash: toHash(to) };
}
