// Quick service: the shell's button opens this. On the click the view is captured as
// the user sees it — the DOM rendered to a PNG in the browser (html-to-image: what is on
// screen, open panels, scroll position and theme included, at the viewport's CSS size,
// pixel ratio 1) — before the dialog opens, so the dialog is not in it. Sending posts the
// description, contact, the view's state (state.ts) and the PNG; the server adds system
// information and delivers it (docs/support.md). This chunk (and html-to-image) loads on
// the first click.

import "./support.css";
import { toPng } from "html-to-image";
import { ApiError, post } from "../api";
import { h } from "../dom";
import { t, tf } from "../i18n";
import { toHash, windowOf, type ViewState } from "../state";
import type { SupportIn, SupportOut } from "./support_types";

const CONTACT_KEY = "bongsu.support.contact";
let capturing = false;

/** The viewport as a PNG data URL; throws when the browser cannot render it. */
export async function captureView(): Promise<string> {
  const width = window.innerWidth;
  const height = window.innerHeight;
  const bg = getComputedStyle(document.body).backgroundColor;
  return toPng(document.body, {
    width,
    height,
    canvasWidth: width,
    canvasHeight: height,
    pixelRatio: 1,
    backgroundColor: bg,
    // The part of the page in the viewport, where the user has scrolled to.
    style: { transform: `translate(${-window.scrollX}px, ${-window.scrollY}px)`, transformOrigin: "0 0" },
    filter: (node) => !(node instanceof HTMLElement && node.dataset.noCapture !== undefined),
  });
}

export function viewState(state: ViewState): SupportIn["view"] {
  const w = windowOf(state);
  return {
    url: location.origin + location.pathname + toHash(state),
    page: state.page,
    sub: state.sub,
    service: state.service,
    instance: state.instance,
    range: state.range,
    from_ms: Math.round(w.from),
    to_ms: Math.round(w.to),
    extra: { ...state.extra },
    lang: state.lang,
    theme: state.theme,
    viewport: { width: window.innerWidth, height: window.innerHeight },
    user_agent: navigator.userAgent.slice(0, 512),
  };
}

/** Capture the view, then open the dialog over it. */
export async function openQuickService(state: ViewState, button: HTMLButtonElement): Promise<void> {
  if (capturing || document.getElementById("qs-dialog")) return;
  // The button is left as it is (no "busy" label): it is in the screenshot.
  capturing = true;
  button.setAttribute("aria-busy", "true");
  button.title = t("sup.capturing");
  const view = viewState(state);
  let shot: string | null = null;
  let shotError = "";
  try {
    shot = await captureView();
  } catch (err) {
    shotError = (err as Error).message || String(err);
  } finally {
    capturing = false;
    button.removeAttribute("aria-busy");
    button.title = t("sup.buttonHint");
  }
  showDialog(view, shot, shotError);
}

function showDialog(view: SupportIn["view"], shot: string | null, shotError: string): void {
  const description = h("textarea", { id: "qs-description", rows: 5, maxlength: 5000, required: true, "aria-label": t("sup.description") });
  const contact = h("input", { id: "qs-contact", type: "text", maxlength: 200, value: localStorage.getItem(CONTACT_KEY) ?? "", "aria-label": t("sup.contact") });
  const status = h("div", { class: "qs-status", id: "qs-status", role: "status" });
  const send = h("button", { class: "btn primary", id: "qs-send", type: "submit" }, t("sup.send"));
  const close = () => overlay.remove();
  const form = h(
    "form",
    { class: "qs-dialog", id: "qs-dialog", role: "dialog", "aria-label": t("sup.dialogTitle") },
    h("h3", null, t("sup.dialogTitle")),
    h("p", { class: "hint" }, t("sup.dialogHint")),
    shot
      ? h("img", { class: "qs-shot", id: "qs-shot", src: shot, alt: t("sup.screenshot") })
      : h("p", { class: "qs-noshot" }, tf("sup.noShot", { error: shotError })),
    h("label", { class: "qs-field" }, h("span", null, t("sup.description")), description),
    h("label", { class: "qs-field" }, h("span", null, t("sup.contact")), contact),
    status,
    h("div", { class: "qs-actions" }, h("button", { class: "btn", type: "button", id: "qs-cancel", onclick: close }, t("sup.cancel")), send),
  );
  const overlay = h("div", { class: "qs-overlay", id: "qs-overlay", "data-no-capture": "" }, form);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    void submit();
  });
  overlay.addEventListener("keydown", (e) => {
    if (e.key === "Escape") close();
  });

  async function submit(): Promise<void> {
    send.disabled = true;
    send.textContent = t("sup.sending");
    status.classList.remove("error");
    status.replaceChildren();
    localStorage.setItem(CONTACT_KEY, contact.value);
    try {
      const body: SupportIn = { description: description.value, contact: contact.value, view, screenshot: shot };
      const made = await post<SupportOut>("/support", body);
      status.dataset.id = made.id;
      status.replaceChildren(
        tf("sup.sent", { id: made.id, status: t(`sup.st.${made.status}`) }),
        " ",
        h("a", { href: `#/support/${encodeURIComponent(made.id)}`, id: "qs-open", onclick: close }, t("sup.open")),
      );
      send.remove();
      (form.querySelector("#qs-cancel") as HTMLButtonElement).textContent = t("sup.close");
    } catch (err) {
      status.classList.add("error");
      status.textContent = err instanceof ApiError ? err.detail : String(err);
      send.disabled = false;
      send.textContent = t("sup.send");
    }
  }

  document.body.append(overlay);
  description.focus();
}
