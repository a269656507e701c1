// What vite.config.ts bakes into the console besides the code (Node, at build time):
// the footer's build id and the user guide. Plain JavaScript: the console's tsconfig has
// no Node types (`build-info.d.mts` declares these two).
import { execSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const DOCS = resolve(dirname(fileURLToPath(import.meta.url)), "../../docs");

/** The git short hash ("+" when tracked files have changes) and the build date. */
export function gitBuild() {
  const day = new Date().toISOString().slice(0, 10);
  const git = (args) => execSync(`git ${args}`, { stdio: ["ignore", "pipe", "ignore"] }).toString().trim();
  try {
    return `${git("rev-parse --short HEAD")}${git("status --porcelain --untracked-files=no") ? "+" : ""} ${day}`;
  } catch {
    return `unknown ${day}`; // a source tarball: no git
  }
}

const esc = (s) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** A Vite plugin: `guide/index.html` listing docs/*.md by title, each as `guide/<name>.txt`
 *  (plain text, which any browser shows; the server serves it as a static file). */
export function guide() {
  return {
    name: "bongsu-guide",
    generateBundle() {
      let files;
      try {
        files = readdirSync(DOCS).filter((f) => f.endsWith(".md")).sort();
      } catch {
        return; // no docs beside the sources
      }
      const items = files.map((f) => {
        const text = readFileSync(resolve(DOCS, f), "utf8");
        const title = /^#\s+(.+)$/m.exec(text)?.[1] ?? f;
        const name = f.replace(/\.md$/, "");
        this.emitFile({ type: "asset", fileName: `guide/${name}.txt`, source: text });
        return `<li><a href="${name}.txt">${esc(title)}</a> <small>${esc(f)}</small></li>`;
      });
      this.emitFile({
        type: "asset",
        fileName: "guide/index.html",
        source: `<!doctype html><meta charset="utf-8"><title>Bongsu user guide</title>
<style>body{font:15px system-ui,sans-serif;max-width:720px;margin:40px auto;padding:0 16px}small{color:#777}li{margin:6px 0}</style>
<h1>Bongsu user guide</h1><ul id="guide">${items.join("")}</ul>
<p><a href="../">Back to the console</a></p>
`,
      });
    },
  };
}
