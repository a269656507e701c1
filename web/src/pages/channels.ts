// Channels: where notifications go (type, name, enabled; the API never returns secrets,
// only which are set) and the routes taking alerts to them (matchers, channels,
// group_by, timers), with a form adding a channel (its config as JSON text).

import { emptyState, errorBox, html, nothing, Panel, view } from "../dom";
import { t } from "../i18n";
import type { Ctx, PageView } from "../page";
import { alerting, errorText, matcherText, type Channel, type Route } from "./alerting";
import { table } from "./table";

export function createChannels(): PageView {
  return new Channels();
}

class Channels implements PageView {
  readonly el: HTMLElement;
  private readonly panel = new Panel(t("ch.title"), { id: "channels-panel", hint: t("ch.hint") });
  private readonly routesPanel = new Panel(t("ch.routes"), { id: "routes-panel" });
  private readonly formBox = document.createElement("section");
  private error = "";
  private channels: Channel[] = [];

  constructor() {
    this.el = document.createElement("div");
    this.el.className = "page channels";
    this.el.id = "page-channels";
    this.formBox.className = "panel";
    this.el.append(this.formBox, this.panel.el, this.routesPanel.el);
    this.renderForm();
  }

  async refresh(_ctx: Ctx, signal: AbortSignal): Promise<void> {
    try {
      const [c, r] = await Promise.all([alerting.channels(signal), alerting.routes(signal)]);
      this.channels = c.channels;
      this.renderChannels();
      this.renderRoutes(r.routes);
    } catch (err) {
      if ((err as Error).name === "AbortError") throw err;
      this.panel.setStatus(errorBox(err), true);
    }
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
        head: [t("ch.name"), t("ch.type"), t("ch.enabled"), t("ch.secrets")],
        rows: this.channels,
        key: (c) => c.id,
        row: (c) => html`<tr data-channel=${c.id}>
          <td class="name">${c.name}</td><td class="type">${c.type}</td>
          <td class="enabled">${c.enabled ? t("ch.yes") : t("ch.no")}</td>
          <td class="secrets">${c.secrets.join(", ")}</td></tr>`,
      }),
    );
    this.panel.setStatus(null);
  }

  private renderRoutes(routes: Route[]): void {
    if (!routes.length) {
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
        rows: routes,
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
      } catch (err) {
        this.error = errorText(err);
      }
      this.renderForm();
    };
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

  dispose(): void {}
}
