// Channels: where notifications go (type, name, enabled; the API never returns secrets,
// only which are set), each with "Send test" (one notification through it now, the
// result inline: delivered, or the receiver's error), and the routes taking alerts to
// them (matchers, channels, group_by, timers). Two forms: a channel (its config as JSON
// text) and a route; the server's 400 is shown beside the field it names.

import { emptyState, errorBox, html, nothing, Panel, view, writeHint } from "../dom";
import { canWrite } from "../access";
import { t, tf } from "../i18n";
import type { Ctx, PageView } from "../page";
import { alerting, errorText, fieldErrors, matcherText, type Channel, type ChannelTest, type Matcher, type Route } from "./alerting";
import { table } from "./table";

export function createChannels(): PageView {
  return new Channels();
}

const ROUTE_FIELDS = ["matchers", "channel_ids", "group_by", "group_wait_s", "group_interval_s", "repeat_interval_s"] as const;
const MATCHER = /^\s*([^=!~\s]+)\s*(=~|!~|!=|=)\s*(.*?)\s*$/;

/** A channel's last test: running, its answer, or the call's own failure. */
type TestState = { running: true } | { running: false; answer: ChannelTest } | { running: false; failed: string };

class Channels implements PageView {
  readonly el: HTMLElement;
  private readonly panel = new Panel(t("ch.title"), { id: "channels-panel", hint: t("ch.hint") });
  private readonly routesPanel = new Panel(t("ch.routes"), { id: "routes-panel" });
  private readonly formBox = document.createElement("section");
  private readonly routeBox = document.createElement("section");
  private error = "";
  private routeErrors: Partial<Record<string, string>> = {};
  private channels: Channel[] = [];
  private routes: Route[] = [];
  private readonly tests = new Map<string, TestState>();

  constructor() {
    this.el = document.createElement("div");
    this.el.className = "page channels";
    this.el.id = "page-channels";
    this.formBox.className = "panel";
    this.routeBox.className = "panel";
    this.el.append(this.formBox, this.panel.el, this.routeBox, this.routesPanel.el);
    this.renderForm();
    this.renderRouteForm();
  }

  async refresh(_ctx: Ctx, signal: AbortSignal): Promise<void> {
    try {
      const [c, r] = await Promise.all([alerting.channels(signal), alerting.routes(signal)]);
      const changed = c.channels.map((x) => x.id).join() !== this.channels.map((x) => x.id).join();
      this.channels = c.channels;
      this.routes = r.routes;
      this.renderChannels();
      this.renderRoutes();
      // The route form lists the channels: redraw it only when they change (a redraw
      // would drop what is being typed).
      if (changed) this.renderRouteForm();
    } catch (err) {
      if ((err as Error).name === "AbortError") throw err;
      this.panel.setStatus(errorBox(err), true);
    }
  }

  private async sendTest(c: Channel): Promise<void> {
    this.tests.set(c.id, { running: true });
    this.renderChannels();
    try {
      this.tests.set(c.id, { running: false, answer: await alerting.testChannel(c.id) });
    } catch (err) {
      this.tests.set(c.id, { running: false, failed: errorText(err) });
    }
    this.renderChannels();
  }

  private testResult(c: Channel) {
    const s = this.tests.get(c.id);
    if (!s) return nothing;
    if (s.running) return html`<span class="test-result muted" data-outcome="running">${t("ch.testRunning")}</span>`;
    if ("failed" in s) return html`<span class="test-result bad-text" data-outcome="failed">${s.failed}</span>`;
    const a = s.answer;
    const ms = Math.round(a.elapsed_ms);
    return a.ok
      ? html`<span class="test-result good-text" data-outcome=${a.outcome}>${tf("ch.testDelivered", { ms })}</span>`
      : html`<span class="test-result bad-text" data-outcome=${a.outcome} data-status=${a.status_code ?? ""}
          >${t(`ch.outcome.${a.outcome}`)}: ${a.error ?? ""}</span>`;
  }

  private renderChannels(): void {
    if (!this.channels.length) {
      view(this.panel.body, nothing);
      this.panel.setStatus(emptyState(t("ch.none")));
      return;
    }
    view(
      this.panel.body,
      table({
        id: "channels-table",
        head: [t("ch.name"), t("ch.type"), t("ch.enabled"), t("ch.secrets"), t("ch.test")],
        rows: this.channels,
        key: (c) => c.id,
        row: (c) => html`<tr data-channel=${c.id}>
          <td class="name">${c.name}</td><td class="type">${c.type}</td>
          <td class="enabled">${c.enabled ? t("ch.yes") : t("ch.no")}</td>
          <td class="secrets">${c.secrets.join(", ")}</td>
          <td class="test">${canWrite() ? html`<button class="btn small test-btn" ?disabled=${this.tests.get(c.id)?.running === true}
              @click=${() => void this.sendTest(c)}>${t("ch.sendTest")}</button>` : nothing} ${this.testResult(c)}</td></tr>`,
      }),
    );
    this.panel.setStatus(null);
  }

  private renderRoutes(): void {
    if (!this.routes.length) {
      view(this.routesPanel.body, nothing);
      this.routesPanel.setStatus(emptyState(t("ch.noRoutes")));
      return;
    }
    const name = (id: string) => this.channels.find((c) => c.id === id)?.name ?? id;
    view(
      this.routesPanel.body,
      table({
        id: "routes-table",
        head: [t("ch.matchers"), t("ch.title"), t("ch.groupBy"), t("ch.timers")],
        rows: this.routes,
        key: (r) => r.id,
        row: (r) => html`<tr data-route=${r.id}>
          <td class="matchers">${matcherText(r.matchers ?? []) || t("ch.all")}</td>
          <td class="route-channels">${r.channel_ids.map(name).join(", ")}</td>
          <td class="group-by">${(r.group_by ?? []).join(", ")}</td>
          <td class="timers">${r.group_wait_s} s / ${r.group_interval_s} s / ${r.repeat_interval_s} s</td></tr>`,
      }),
    );
    this.routesPanel.setStatus(null);
  }

  private renderForm(): void {
    const submit = async (e: Event) => {
      e.preventDefault();
      const f = new FormData(e.target as HTMLFormElement);
      try {
        const config: unknown = JSON.parse(String(f.get("config") ?? "{}"));
        const c = await alerting.createChannel({ name: String(f.get("name") ?? ""), type: String(f.get("type") ?? ""), config });
        this.error = "";
        this.channels = [...this.channels, c].sort((a, b) => a.name.localeCompare(b.name));
        this.renderChannels();
        this.renderRouteForm();
      } catch (err) {
        this.error = errorText(err);
      }
      this.renderForm();
    };
    if (!canWrite()) {
      view(this.formBox, html`<header><h3>${t("ch.create")}</h3></header>${writeHint()}`);
      return;
    }
    view(
      this.formBox,
      html`<header><h3>${t("ch.create")}</h3></header>
        <form class="search-form channel-form" id="channel-form" @submit=${submit}>
          <label class="field"><span>${t("ch.name")}</span><input name="name" id="channel-name" /></label>
          <label class="field"><span>${t("ch.type")}</span>
            <select name="type" id="channel-type">${["webhook", "slack", "email"].map((k) => html`<option value=${k}>${k}</option>`)}</select></label>
          <label class="field"><span>${t("ch.config")}</span>
            <textarea name="config" id="channel-config" rows="2" class="mono">{"url": "https://example.invalid/hook"}</textarea>
            ${this.error ? html`<span class="field-error" id="channel-error">${this.error}</span>` : nothing}</label>
          <button class="btn" type="submit" id="channel-submit">${t("ch.save")}</button>
        </form>`,
    );
  }

  private renderRouteForm(): void {
    const submit = async (e: Event) => {
      e.preventDefault();
      const form = e.target as HTMLFormElement;
      const f = new FormData(form);
      const matchers: Matcher[] = [];
      for (const part of String(f.get("matchers") ?? "").split(",").filter((x) => x.trim())) {
        const m = MATCHER.exec(part);
        if (!m) {
          this.routeErrors = { matchers: tf("ch.badMatcher", { text: part.trim() }) };
          this.renderRouteForm();
          return;
        }
        matchers.push({ name: m[1], op: m[2] as Matcher["op"], value: m[3] });
      }
      const num = (k: string) => Number(f.get(k));
      try {
        const r = await alerting.createRoute({
          matchers,
          channel_ids: f.getAll("channel_ids").map(String),
          group_by: String(f.get("group_by") ?? "").split(",").map((x) => x.trim()).filter(Boolean),
          group_wait_s: num("group_wait_s"),
          group_interval_s: num("group_interval_s"),
          repeat_interval_s: num("repeat_interval_s"),
        });
        this.routeErrors = {};
        this.routes = [...this.routes, r];
        this.renderRoutes();
        form.reset();
      } catch (err) {
        this.routeErrors = fieldErrors(errorText(err), ROUTE_FIELDS);
      }
      this.renderRouteForm();
    };
    const err = (k: string) => (this.routeErrors[k] ? html`<span class="field-error" data-field=${k}>${this.routeErrors[k]}</span>` : nothing);
    const timer = (k: string, label: string, value: number) =>
      html`<label class="field"><span>${label}</span><input type="number" min="0" step="any" name=${k} id=${`route-${k}`} value=${value} />${err(k)}</label>`;
    if (!canWrite()) {
      view(this.routeBox, html`<header><h3>${t("ch.createRoute")}</h3></header>${writeHint()}`);
      return;
    }
    view(
      this.routeBox,
      html`<header><h3>${t("ch.createRoute")}</h3></header>
        <form class="search-form route-form" id="route-form" @submit=${submit}>
          <label class="field"><span>${t("ch.matchers")}</span>
            <input name="matchers" id="route-matchers" placeholder="service=orders, severity=~critical|warning" />${err("matchers")}</label>
          <fieldset class="field route-channel-list" id="route-channels"><span>${t("ch.title")}</span>
            ${this.channels.length
              ? this.channels.map((c) => html`<label class="check"><input type="checkbox" name="channel_ids" value=${c.id} />${c.name}</label>`)
              : html`<span class="muted">${t("ch.none")}</span>`}
            ${err("channel_ids")}</fieldset>
          <label class="field"><span>${t("ch.groupBy")}</span><input name="group_by" id="route-group_by" value="rule, service" />${err("group_by")}</label>
          ${timer("group_wait_s", t("ch.groupWait"), 30)}
          ${timer("group_interval_s", t("ch.groupInterval"), 300)}
          ${timer("repeat_interval_s", t("ch.repeatInterval"), 14400)}
          <button class="btn" type="submit" id="route-submit">${t("ch.saveRoute")}</button>
          ${err("")}
        </form>`,
    );
  }

  dispose(): void {}
}
