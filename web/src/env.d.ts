/// <reference types="vite/client" />

/** The console's build: git short hash ("+" with local changes) and date (vite.config.ts). */
declare const __BONGSU_BUILD__: string;
