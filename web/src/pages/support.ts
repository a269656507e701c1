// Support: the requests sent with Quick service, newest first, with their status (new,
// sent, failed, resolved), and one request in full (`#/support/<id>`): the description,
// the screenshot, the view's state with a link back to it, the system information the
// server gathered, the delivery (channel, attempts, last error), and "Mark resolved" /
// "Send again".

import "./support.css";
import { ApiError, get, send } from "../api";
import { emptyState, errorBox, h, Panel } from "../dom";
import { canWrite } from "../access";
import { fmtBytes, fmtTime } from "../format";
import { t } from "../i18n";
import type { Ctx, PageView } from "../page";
import type { SupportList, SupportOut, SupportSummary } from "./support_types";

export function createSupport(): PageView {
  return new Support();
}

function statusBadge(status: SupportSummary["status"]): HTMLElement {
  return h("span", { class: `sup-status st-${status}`, "data-status": status }, t(`sup.st.${status}`));
}

async function patch(id: string, status: "new" | "resolved"): Promise<SupportOut> {
  const body = await send<SupportOut>("PATCH", `/support/${encodeURIComponent(id)}`, { status });
  if (!body) throw new ApiError(204, `/support/${id}`, "no answer");
  return body;
}

class Support implements PageView {
  readonly el = h("div", { class: "page support", id: "page-support" });
  private readonly panel = new Panel(t("sup.title"), { id: "support-panel", hint: t("sup.hint") });
  private shown = "";

  constructor() {
    this.el.append(this.panel.el);
  }

  async refresh(ctx: Ctx, signal: AbortSignal): Promise<void> {
    try {
      if (ctx.state.sub) {
        const r = await get<SupportOut>(`/support/${encodeURIComponent(ctx.state.sub)}`, {}, signal);
        this.renderDetail(ctx, r);
      } else {
        const list = await get<SupportList>("/support", {}, signal);
        this.renderList(ctx, list.requests);
      }
      this.panel.setStatus(null);
    } catch (err) {
      if ((err as Error).name === "AbortError") throw err;
      this.panel.setStatus(errorBox(err), true);
    }
  }

  private renderList(ctx: Ctx, rows: SupportSummary[]): void {
    this.panel.setTitle(t("sup.title"));
    this.shown = "";
    if (!rows.length) {
      this.panel.body.replaceChildren(emptyState(t("sup.none")));
      return;
    }
    const head = ["sup.created", "sup.status", "sup.description", "sup.contact", "sup.page", "sup.channel", "sup.attempts", "sup.error"] as const;
    this.panel.body.replaceChildren(
      h(
        "table",
        { class: "table", id: "support-table" },
        h("thead", null, h("tr", null, head.map((k) => h("th", null, t(k))))),
        h(
          "tbody",
          null,
          rows.map((r) =>
            h(
              "tr",
              { "data-id": r.id },
              h("td", null, h("a", { href: ctx.href({ page: "support", sub: r.id, extra: {} }) }, fmtTime(r.created_ms, true))),
              h("td", null, statusBadge(r.status)),
              h("td", { class: "sup-desc" }, r.description),
              h("td", null, r.contact),
              h("td", null, r.page),
              h("td", null, r.channel ?? "–"),
              h("td", { class: "num" }, String(r.attempts)),
              h("td", { class: "sup-error" }, r.last_error ?? ""),
            ),
          ),
        ),
      ),
    );
  }

  private renderDetail(ctx: Ctx, r: SupportOut): void {
    this.panel.setTitle(`${t("sup.title")} · ${r.id}`);
    // The screenshot <img> is kept across live refreshes (no reload, no flicker).
    const key = JSON.stringify([r.id, r.status, r.attempts, r.last_error]);
    if (key === this.shown) return;
    this.shown = key;
    const act = (status: "new" | "resolved") => async () => {
      try {
        this.renderDetail(ctx, await patch(r.id, status));
      } catch (err) {
        this.panel.body.prepend(errorBox(err));
      }
    };
    const v = r.view;
    const shot = r.screenshot;
    this.panel.body.replaceChildren(
      h("p", null, h("a", { href: ctx.href({ page: "support", sub: "", extra: {} }), id: "support-back" }, `← ${t("sup.back")}`)),
      h(
        "div",
        { class: "sup-detail", id: "support-detail", "data-id": r.id },
        h(
          "div",
          { class: "sup-meta" },
          h("p", null, statusBadge(r.status), " ", fmtTime(r.created_ms, true)),
          h("p", { class: "sup-text", id: "support-description" }, r.description),
          h("dl", null,
            h("dt", null, t("sup.contact")), h("dd", null, r.contact || "–"),
            h("dt", null, t("sup.view")), h("dd", null, h("a", { href: v.url, id: "support-view-link" }, v.url)),
            h("dt", null, t("sup.channel")), h("dd", null, r.channel ?? "–"),
            h("dt", null, t("sup.attempts")), h("dd", null, String(r.attempts)),
            h("dt", null, t("sup.error")), h("dd", { class: "sup-error" }, r.last_error ?? "–"),
          ),
          !canWrite() ? null : h(
            "div",
            { class: "sup-actions" },
            r.status !== "resolved" ? h("button", { class: "btn", id: "support-resolve", onclick: act("resolved") }, t("sup.resolve")) : null,
            h("button", { class: "btn", id: "support-resend", onclick: act("new") }, t("sup.resend")),
          ),
          h("h4", null, t("sup.system")),
          h("pre", { class: "sup-system", id: "support-system" }, JSON.stringify(r.system, null, 2)),
        ),
        shot
          ? h("figure", { class: "sup-figure" },
              h("img", { src: `api/v1${shot.url.replace(/^\/api\/v1/, "")}`, id: "support-screenshot", alt: t("sup.screenshot"), width: shot.width, height: shot.height }),
              h("figcaption", null, `${shot.width}×${shot.height} · ${fmtBytes(shot.bytes)}`))
          : null,
      ),
    );
  }

  dispose(): void {}
}
