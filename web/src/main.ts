// The shell: left menu, top bar, router and the live refresh clock; beside the Alerts
// menu entry, how many alerts fire now (coloured by the worst), read on every refresh.
// On start, and whenever a signed-in page opens without a session, it asks
// `GET /auth/session`: a 401 opens the sign-in page (`#/login?next=<where it was>`).
// Public pages (registry `public: true`) are drawn alone, without menu or top bar. The
// top bar shows the signed-in user and role with Sign out, the organisation switcher
// (several organisations) and the project picker; a banner says when the organisation is
// read-only or its trial ends within 3 days. Single-user mode has no sign-in at all.

import "./style.css";
import { api, ApiError, toLogin, type ServiceSummary } from "./api";
import { accounts } from "./api/accounts";
import { canWrite, chooseProject, chosenProject, hasRole, role as myRole, session, setReloader, setSession, singleUser } from "./access";
import { errorBox, h, loading } from "./dom";
import { fmtDay, fmtTime, shortId, toLocalInput } from "./format";
import { setLang, t, tf } from "./i18n";
import { alerting, type Summary } from "./pages/alerting";
import type { Ctx, PageView } from "./page";
import { GROUPS, pageEntry, REGISTRY } from "./registry";
import { noteLanding } from "./pin";
import { isLive, parseHash, RANGES, toHash, windowOf, type ViewState } from "./state";
import { footer } from "./footer";
import { SearchBox } from "./search";

const REFRESH_MS = 5000;
/** The trial banner shows from this close to the end. */
const TRIAL_WARN_MS = 3 * 86_400_000;

class Shell {
  private state: ViewState = parseHash(location.hash);
  private page: PageView | null = null;
  private pageKey = "";
  private services: ServiceSummary[] = [];
  private instances: string[] = [];
  /** Display name of each instance id (`instance_name` from the API). */
  private instanceNames: Record<string, string> = {};
  private timer: number | undefined;
  private inflight: AbortController | null = null;
  private readonly root = document.getElementById("app")!;
  private readonly main = h("main", { class: "content", id: "content" });
  private readonly topError = h("div", { class: "top-error" });
  /** Read-only organisation, or a trial ending soon. */
  private readonly banner = h("div", { class: "account-banner", id: "account-banner", hidden: true });
  private sessionAsked: Promise<boolean> | null = null;
  private readonly updated = h("span", { class: "updated", id: "updated" });
  /** Firing alerts, in the Alerts menu entry (kept across menu rebuilds). */
  private readonly alertCount = h("span", { class: "alert-count", id: "alert-count", hidden: true });
  /** The search box (`/`), kept across top-bar rebuilds so typing survives a refresh. */
  private readonly search = new SearchBox(() => this.state);

  start(): void {
    setReloader(async () => {
      setSession(await accounts.session());
      this.renderFrame();
    });
    window.addEventListener("hashchange", () => this.onHash());
    document.addEventListener("visibilitychange", () => {
      if (!document.hidden && isLive(this.state)) void this.tick();
    });
    // Opened without a page: My dashboard, or the service dashboard while it has no panels.
    noteLanding(location.hash);
    this.onHash();
  }

  /** The session from the server; false (and the sign-in page opened) without one. */
  private signedIn(): Promise<boolean> {
    if (session()) return Promise.resolve(true);
    this.sessionAsked ??= accounts.session().then(
      (s) => {
        setSession(s);
        return true;
      },
      (err: unknown) => {
        if (err instanceof ApiError && err.status === 401) toLogin();
        else this.main.replaceChildren(errorBox(err, () => this.onHash()));
        return false;
      },
    ).finally(() => {
      this.sessionAsked = null;
    });
    return this.sessionAsked;
  }

  private onHash(): void {
    const next = parseHash(location.hash);
    const canonical = toHash(next);
    if (location.hash !== canonical) {
      history.replaceState(null, "", canonical);
    }
    this.state = next;
    localStorage.setItem("bongsu.lang", next.lang);
    localStorage.setItem("bongsu.theme", next.theme);
    setLang(next.lang);
    document.documentElement.dataset.theme = next.theme;
    if (!pageEntry(next.page).public && !session()) {
      // Ask once; the page is built when the answer is a session.
      this.main.replaceChildren(loading());
      void this.signedIn().then((ok) => {
        if (ok && location.hash === canonical) this.onHash();
      });
      return;
    }
    this.renderFrame();
    // Rebuild the page only when something it depends on changed.
    const key = canonical;
    if (key !== this.pageKey || !this.page) {
      this.pageKey = key;
      this.page?.dispose();
      this.page = null;
      this.main.replaceChildren(loading());
      void this.tick(true);
    }
  }

  private ctx(): Ctx {
    return {
      state: this.state,
      window: windowOf(this.state),
      services: this.services,
      instances: this.instances,
      instanceNames: this.instanceNames,
      instanceName: (id) => this.instanceNames[id] || id,
      live: isLive(this.state),
      navigate: (patch, opts) => this.navigate(patch, opts),
      setExtra: (patch) => this.setExtra(patch),
      href: (patch) => toHash({ ...this.state, ...patch }),
    };
  }

  navigate(patch: Partial<ViewState>, opts: { replace?: boolean } = {}): void {
    const hash = toHash({ ...this.state, ...patch });
    if (opts.replace) {
      history.replaceState(null, "", hash);
      this.onHash();
    } else {
      location.hash = hash;
    }
  }

  private setExtra(patch: Record<string, string>): void {
    const extra = { ...this.state.extra, ...patch };
    for (const [k, v] of Object.entries(extra)) if (v === "") delete extra[k];
    this.state = { ...this.state, extra };
    const hash = toHash(this.state);
    this.pageKey = hash; // the page already shows it: no rebuild
    history.replaceState(null, "", hash);
  }

  /** Fetch the service list, then let the page refresh itself with the same window. */
  private async tick(rebuild = false): Promise<void> {
    window.clearTimeout(this.timer);
    this.inflight?.abort();
    const ac = new AbortController();
    this.inflight = ac;
    const ctx = this.ctx();
    if (pageEntry(this.state.page).public) {
      await this.showPage(ac, ctx, rebuild);
      return;
    }
    // The badge's count is its own: a failure leaves the last one, marked stale.
    void alerting.summary(ac.signal).then(
      (s) => this.renderAlertCount(s),
      (err: Error) => {
        if (err.name !== "AbortError") this.alertCount.classList.add("stale");
      },
    );
    try {
      const [svc, inst] = await Promise.all([
        api.services(ctx.window, ac.signal),
        ctx.state.service
          ? api.instances(ctx.state.service, Math.round((ctx.window.to - ctx.window.from) / 1000), ctx.window, ac.signal)
          : Promise.resolve({ instances: [] }),
      ]);
      this.services = svc.services;
      this.instances = inst.instances.map((i) => i.instance).sort();
      this.instanceNames = Object.fromEntries(inst.instances.map((i) => [i.instance, i.instance_name || i.instance]));
      this.topError.replaceChildren();
    } catch (err) {
      if ((err as Error).name === "AbortError") return;
      this.topError.replaceChildren(errorBox(err, () => void this.tick()));
    }
    if (ac.signal.aborted) return;
    if (!this.state.service && this.services.length) {
      // Open the busiest application by default.
      const first = [...this.services].sort((a, b) => b.transactions - a.transactions)[0];
      this.navigate({ service: first.name }, { replace: true });
      return;
    }
    this.renderTopBar();
    if (!(await this.showPage(ac, ctx, rebuild))) return;
    this.updated.textContent = isLive(this.state)
      ? `${t("top.live")} · ${t("top.updated")} ${fmtTime(Date.now())}`
      : t("top.paused");
    this.updated.classList.toggle("live", isLive(this.state));
    if (isLive(this.state)) {
      this.timer = window.setTimeout(() => {
        if (!document.hidden) void this.tick();
      }, REFRESH_MS);
    }
  }

  /** Build the page (its chunk loaded) when asked or missing, then refresh it; false when
   *  navigation moved on meanwhile or the chunk failed. */
  private async showPage(ac: AbortController, ctx: Ctx, rebuild: boolean): Promise<boolean> {
    const full = { ...this.ctx(), window: ctx.window };
    if (rebuild || !this.page) {
      let factory;
      try {
        factory = await pageEntry(this.state.page).load();
      } catch (err) {
        // The page's chunk did not load (server restarted with a new build, network).
        if (!ac.signal.aborted) this.main.replaceChildren(errorBox(err, () => void this.tick(true)));
        return false;
      }
      if (ac.signal.aborted) return false; // navigated away while the chunk loaded
      this.page?.dispose();
      this.page = factory(full);
      this.main.replaceChildren(this.page.el);
    }
    try {
      await this.page.refresh(full, ac.signal);
    } catch (err) {
      // Pages show their own API errors; anything reaching here is shown, not swallowed.
      if ((err as Error).name !== "AbortError" && !ac.signal.aborted) {
        this.topError.replaceChildren(errorBox(err, () => void this.tick()));
        if (!(err instanceof ApiError)) console.warn(err);
      }
    }
    return !ac.signal.aborted;
  }

  private renderFrame(): void {
    if (pageEntry(this.state.page).public) {
      this.root.replaceChildren(h("div", { class: "public-layout" }, h("div", { class: "main-col" }, this.topError, this.main)));
      return;
    }
    const nav = h(
      "nav",
      { class: "menu" },
      h("div", { class: "brand" }, h("span", { class: "beacon" }), h("b", null, t("app.title")), h("small", null, t("app.tagline"))),
      GROUPS.map((g) => {
        const pages = REGISTRY.filter((p) => p.group === g && (!("role" in p) || hasRole(p.role)));
        if (!pages.length) return null;
        return h(
          "div",
          { class: "menu-group", "data-group": g },
          h("h4", null, t(`nav.group.${g}`)),
          pages.map((p) =>
            h(
              "a",
              {
                href: toHash({ ...this.state, page: p.route, sub: "", extra: {} }),
                class: p.route === this.state.page ? "active" : "",
                "data-page": p.route,
                // Start fetching the page's chunk before the click lands.
                onpointerenter: () => void p.load().catch(() => undefined),
              },
              h("span", { class: "icon" }, p.icon),
              t(`nav.${p.route}`),
              p.route === "alerts" ? this.alertCount : null,
            ),
          ),
        );
      }),
    );
    const top = h("header", { class: "topbar", id: "topbar" });
    this.root.replaceChildren(h("div", { class: "layout" }, nav, h("div", { class: "main-col" }, top, this.banner, this.topError, this.main, footer())));
    this.search.relabel();
    this.renderBanner();
    this.renderTopBar(true);
  }

  /** A read-only organisation (trial ended, with the date), or a trial ending within 3 days. */
  private renderBanner(): void {
    const org = session()?.org;
    const ends = org?.trial_ends_us ? org.trial_ends_us / 1000 : null;
    const el = this.banner;
    if (org?.read_only) {
      el.dataset.kind = "read-only";
      el.textContent = ends ? tf("acc.bannerEnded", { date: fmtDay(ends) }) : t("acc.bannerReadOnly");
      el.hidden = false;
    } else if (ends !== null && ends - Date.now() < TRIAL_WARN_MS) {
      el.dataset.kind = "trial";
      el.textContent = tf("acc.bannerEnds", { date: fmtDay(ends), days: Math.max(0, Math.ceil((ends - Date.now()) / 86_400_000)) });
      el.hidden = false;
    } else {
      el.hidden = true;
    }
  }

  /** The organisation switcher, the project picker and the signed-in user with Sign out
   *  (nothing of it in single-user mode, where there is one owner and one project). */
  private accountControls(): HTMLElement[] {
    const s = session();
    if (!s || singleUser()) return [];
    const out: HTMLElement[] = [];
    if (s.orgs.length > 1 && s.org) {
      const sel = h(
        "select",
        { id: "org-select", "aria-label": t("acc.org"), onchange: (e: Event) => void this.switchOrg(Number((e.target as HTMLSelectElement).value)) },
        s.orgs.map((o) => h("option", { value: o.id, selected: o.id === s.org?.id }, o.name)),
      );
      out.push(h("label", { class: "field" }, h("span", null, t("acc.org")), sel));
    }
    if (s.projects.length) {
      const chosen = chosenProject() || s.project || s.projects[0].tenant;
      const sel = h(
        "select",
        {
          id: "project-select",
          "aria-label": t("acc.project"),
          onchange: (e: Event) => {
            chooseProject((e.target as HTMLSelectElement).value);
            this.pageKey = ""; // every page's data is the project's: rebuild
            this.onHash();
          },
        },
        s.projects.map((p) => h("option", { value: p.tenant, selected: p.tenant === chosen }, p.name)),
      );
      out.push(h("label", { class: "field" }, h("span", null, t("acc.project")), sel));
    }
    const role = s.org ? t(`acc.role.${myRole()}`) : "";
    out.push(
      h(
        "span",
        { class: "account-menu", id: "account-menu", "data-login": s.user.login, "data-role": s.org?.role ?? "" },
        h("span", { class: "who", id: "account-user", title: s.user.email }, role ? `${s.user.login} · ${role}` : s.user.login),
        h("button", { class: "btn", id: "sign-out", onclick: () => void this.signOut() }, t("acc.signOut")),
      ),
    );
    return out;
  }

  private async switchOrg(id: number): Promise<void> {
    try {
      await accounts.switchOrg(id);
      setSession(null);
      this.page?.dispose();
      this.page = null;
      this.navigate({ page: "dashboard", sub: "", service: "", instance: "", extra: {} });
      this.pageKey = "";
      this.onHash();
    } catch (err) {
      this.topError.replaceChildren(errorBox(err));
    }
  }

  private async signOut(): Promise<void> {
    try {
      await accounts.logout();
    } catch (err) {
      this.topError.replaceChildren(errorBox(err));
      return;
    }
    setSession(null);
    location.hash = "#/login";
  }

  private renderAlertCount(s: Summary): void {
    const el = this.alertCount;
    el.classList.remove("stale");
    el.dataset.count = String(s.firing);
    el.dataset.worst = s.worst ?? "";
    el.className = `alert-count${s.worst ? ` sev-${s.worst}` : ""}`;
    el.textContent = String(s.firing);
    const parts = (["critical", "warning", "info"] as const).filter((k) => s.by_severity[k]).map((k) => `${s.by_severity[k]} ${k}`);
    el.title = tf("top.alertsFiring", { count: String(s.firing), detail: parts.join(", ") });
    el.hidden = s.firing === 0;
  }

  private topKey = "";

  private renderTopBar(force = false): void {
    const top = document.getElementById("topbar");
    if (!top) return;
    const s = this.state;
    // Rebuild the controls only when their content changes, so an open <select>
    // survives the live refresh.
    const key = JSON.stringify([toHash(s), this.services.map((x) => x.name), this.instanceNames]);
    if (!force && key === this.topKey && top.childElementCount) return;
    this.topKey = key;
    const svcSel = h(
      "select",
      { id: "service-select", "aria-label": t("top.service"), onchange: (e: Event) => this.navigate({ service: (e.target as HTMLSelectElement).value, instance: "", sub: "" }) },
    );
    const names = this.services.map((x) => x.name).sort();
    if (s.service && !names.includes(s.service)) names.unshift(s.service);
    if (!names.length) svcSel.append(h("option", { value: "" }, t("top.noServices")));
    for (const n of names) svcSel.append(h("option", { value: n, selected: n === s.service }, n));

    const instSel = h(
      "select",
      { id: "instance-select", "aria-label": t("top.instance"), onchange: (e: Event) => this.navigate({ instance: (e.target as HTMLSelectElement).value }) },
      h("option", { value: "" }, t("top.allInstances")),
    );
    const insts = [...this.instances];
    if (s.instance && !insts.includes(s.instance)) insts.unshift(s.instance);
    // Display names (pod name, host:pid) first; the id, which the URL keeps, on hover.
    const label = (id: string) => this.instanceNames[id] || id;
    const seen = new Map<string, number>();
    for (const id of insts) seen.set(label(id), (seen.get(label(id)) ?? 0) + 1);
    insts.sort((a, b) => label(a).localeCompare(label(b)));
    for (const id of insts) {
      const name = label(id);
      const text = (seen.get(name) ?? 0) > 1 && name !== id ? `${name} (${shortId(id)})` : name;
      instSel.append(h("option", { value: id, title: id, selected: id === s.instance }, text));
    }

    const ranges = h(
      "div",
      { class: "ranges", role: "group", "aria-label": t("top.range") },
      RANGES.map((r) =>
        h("button", { class: `btn seg ${s.range === r ? "on" : ""}`, "data-range": r, onclick: () => this.navigate({ range: r }) }, r),
      ),
      h(
        "button",
        {
          class: `btn seg ${s.range === "custom" ? "on" : ""}`,
          "data-range": "custom",
          onclick: () => {
            const w = windowOf(s);
            this.navigate({ range: "custom", from: w.from, to: w.to });
          },
        },
        t("top.custom"),
      ),
    );
    let custom: HTMLElement | null = null;
    if (s.range === "custom") {
      const w = windowOf(s);
      const fromIn = h("input", { type: "datetime-local", id: "custom-from", value: toLocalInput(w.from), "aria-label": t("top.from") });
      const toIn = h("input", { type: "datetime-local", id: "custom-to", value: toLocalInput(w.to), "aria-label": t("top.to") });
      custom = h(
        "div",
        { class: "custom-range" },
        fromIn,
        "–",
        toIn,
        h("button", {
          class: "btn",
          onclick: () => {
            const f = new Date(fromIn.value).getTime();
            const to = new Date(toIn.value).getTime();
            if (Number.isFinite(f) && Number.isFinite(to) && to > f) this.navigate({ from: f, to });
          },
        }, t("top.apply")),
      );
    }
    const langSel = h(
      "select",
      { id: "lang-select", "aria-label": t("top.language"), onchange: (e: Event) => this.navigate({ lang: (e.target as HTMLSelectElement).value as "en" | "ko" }) },
      h("option", { value: "en", selected: s.lang === "en" }, "English"),
      h("option", { value: "ko", selected: s.lang === "ko" }, "한국어"),
    );
    const themeBtn = h(
      "button",
      { class: "btn", id: "theme-toggle", title: t("top.theme"), onclick: () => this.navigate({ theme: s.theme === "dark" ? "light" : "dark" }) },
      s.theme === "dark" ? `☀ ${t("top.light")}` : `☾ ${t("top.dark")}`,
    );
    const controls = new Set(pageEntry(s.page).controls);
    const searching = this.search.focused();
    top.replaceChildren(
      ...(controls.has("service") ? [h("label", { class: "field" }, h("span", null, t("top.service")), svcSel)] : []),
      ...(controls.has("instance") ? [h("label", { class: "field" }, h("span", null, t("top.instance")), instSel)] : []),
      ...(controls.has("range") ? [ranges] : []),
      ...(custom && controls.has("range") ? [custom] : []),
      this.search.el,
      h("div", { class: "spacer" }),
      this.updated,
      ...this.accountControls(),
      ...(canWrite() ? [h("button", { class: "btn", id: "quick-service", title: t("sup.buttonHint"), onclick: (e: Event) => { const b = e.currentTarget as HTMLButtonElement; void import("./pages/quick_service").then((m) => m.openQuickService(this.state, b)); } }, t("sup.button"))] : []),
      langSel,
      themeBtn,
    );
    if (searching) this.search.refocus(); // moving the box took the focus from it
  }
}

new Shell().start();
