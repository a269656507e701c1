import type { Plugin } from "vite";

export function gitBuild(): string;
export function guide(): Plugin;
