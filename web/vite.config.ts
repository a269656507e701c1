// The bundle is written into the Python package so `bongsu server` can serve it
// and the wheel can ship it (see hatch_build.py and src/bongsu/web/__init__.py).
// Each page is its own chunk (the registry's `import()`); ECharts and zrender are one
// vendor chunk shared by the chart pages, so a console release that does not touch them
// leaves the browser's cached copy valid. tests/browser/test_bundle.py holds the shell
// (what index.html loads) to 150 kB gzip.
// The footer's build id (`__BONGSU_BUILD__`: the git short hash, "+" when the tree had
// changes, and the build date) is baked in here, and the user guide (`../docs/*.md`) is
// copied into `guide/` as plain text with an index page, so the footer's link works
// offline on any server (the server's version comes from `/healthz` at run time).
import { defineConfig } from "vite";
import { gitBuild, guide } from "./scripts/build-info.mjs";

export default defineConfig({
  base: "./",
  define: { __BONGSU_BUILD__: JSON.stringify(gitBuild()) },
  plugins: [guide()],
  build: {
    outDir: "../src/bongsu/web/static",
    emptyOutDir: true,
    // The ECharts chunk is ~700 kB (~240 kB gzip) and loads only with a chart page.
    chunkSizeWarningLimit: 800,
    target: "es2020",
    rolldownOptions: {
      output: {
        codeSplitting: {
          groups: [{ name: "echarts", test: /node_modules[\\/](echarts|zrender)[\\/]/ }],
        },
      },
    },
  },
  server: {
    proxy: {
      "/api": "http://127.0.0.1:8080",
      "/healthz": "http://127.0.0.1:8080",
    },
  },
});
