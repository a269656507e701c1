// The bundle is written into the Python package so `bongsu server` can serve it
// and the wheel can ship it (see hatch_build.py and src/bongsu/web/__init__.py).
import { defineConfig } from "vite";

export default defineConfig({
  base: "./",
  build: {
    outDir: "../src/bongsu/web/static",
    emptyOutDir: true,
    chunkSizeWarningLimit: 900,
    target: "es2020",
  },
  server: {
    proxy: {
      "/api": "http://127.0.0.1:8080",
      "/healthz": "http://127.0.0.1:8080",
    },
  },
});
