// The OOM verdict under the dashboard's memory chart (GET /api/v1/oom): per instance and
// pod of the service (or the chosen instance) over the 24 hours up to the dashboard's
// end, spike / leak / native / none / not enough data, with the sentence that gives its
// figures and the OOM kills seen. Rows carry `data-verdict` and `data-subject`.

import { get } from "../api";
import type { Ok } from "../api/types";
import { h, html, nothing, view } from "../dom";
import { t, tf, type Key } from "../i18n";
import type { Ctx } from "../page";

type Body = Ok<"/api/v1/oom">;
type Verdict = Body["verdicts"][number];

/** Rows shown at most; the rest are counted. */
const SHOWN = 6;
const CLASS: Record<Verdict["verdict"], string> = {
  spike: "bad",
  leak: "bad",
  native: "bad",
  none: "ok",
  not_enough_data: "",
};

export class OomVerdictCard {
  readonly el = h("div", { class: "oom-verdict", id: "oom-verdict" });

  async refresh(ctx: Ctx, signal: AbortSignal): Promise<void> {
    if (!ctx.state.service) return;
    let body: Body;
    try {
      body = await get<Body>("/oom", { service: ctx.state.service, instance: ctx.state.instance || undefined, to: ctx.window.to }, signal);
    } catch (err) {
      if ((err as Error).name === "AbortError") throw err;
      this.el.classList.add("stale");
      return;
    }
    this.el.classList.remove("stale");
    // Growth first: what to look at, then the quiet ones.
    const rank = (v: Verdict) => ["spike", "leak", "native", "none", "not_enough_data"].indexOf(v.verdict);
    const rows = [...body.verdicts].sort((a, b) => rank(a) - rank(b));
    const name = (v: Verdict) => v.subject.instance_name ?? v.subject.instance ?? v.subject.pod ?? "";
    view(
      this.el,
      html`<div class="oom-title" style="margin-top:6px;font-size:12px;color:var(--muted)">${t("oom.title")}</div>
        <ul class="oom-rows" style="list-style:none;margin:4px 0 0;padding:0;font-size:12px;line-height:1.6">
          ${rows.slice(0, SHOWN).map(
            (v) => html`<li class="oom-row" data-verdict=${v.verdict} data-subject=${v.subject.instance ?? v.subject.pod ?? ""}>
              <span class=${`badge ${CLASS[v.verdict]}`}>${t(`oom.${v.verdict}` as Key)}</span>
              <b title=${v.subject.instance ?? v.subject.pod ?? ""}>${name(v)}</b>
              <span class="oom-reason">${v.reason}</span>
              ${v.oom_kills.length ? html`<span class="badge bad oom-kills">${tf("oom.kills", { n: v.oom_kills.reduce((a, k) => a + k.count, 0) })}</span>` : nothing}
            </li>`,
          )}
        </ul>
        ${rows.length > SHOWN ? html`<div class="oom-more">${tf("oom.more", { n: rows.length - SHOWN })}</div>` : nothing}`,
    );
  }
}
