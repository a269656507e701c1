// The footer on every signed-in page: the server's Bongsu version (from `/healthz`, asked
// once), the console's build (git hash and date baked in by vite.config.ts) and a link
// to the user guide shipped with the console (`guide/`, the docs/ folder as text).

import { h } from "./dom";
import { t, tf } from "./i18n";

let version: Promise<string> | null = null;

function serverVersion(): Promise<string> {
  version ??= fetch("healthz", { headers: { Accept: "application/json" } })
    .then((r) => (r.ok ? (r.json() as Promise<{ version?: string }>) : { version: undefined }))
    .then((b) => b.version ?? "?")
    .catch(() => {
      version = null; // ask again on the next frame
      return "?";
    });
  return version;
}

/** A new footer element; its version fills in when `/healthz` answers. */
export function footer(): HTMLElement {
  const ver = h("span", { id: "footer-version" }, tf("foot.version", { version: "…" }));
  const el = h(
    "footer",
    { class: "footer", id: "footer" },
    ver,
    h("span", { id: "footer-build", "data-build": __BONGSU_BUILD__ }, tf("foot.build", { build: __BONGSU_BUILD__ })),
    h("a", { id: "footer-guide", href: "guide/", target: "_blank", rel: "noopener" }, t("foot.guide")),
  );
  void serverVersion().then((v) => {
    ver.dataset.version = v;
    ver.textContent = tf("foot.version", { version: v });
  });
  return el;
}
