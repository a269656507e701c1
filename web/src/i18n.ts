// Every label the console shows, in English and Korean. The labels live in
// `strings/<area>.ts` (the shell's in `shell.ts`, each page's in its own file), each
// with an `en` table and a `ko` table typed by it, so a key missing from one language is
// a type error (and tests/web/test_strings.py fails). A page's table is named by its
// registry entry (`strings:`), so a new page adds no line here.
// All tables load with the shell (~9 kB gzip): `t()` stays synchronous for page code.

import { REGISTRY } from "./registry";
import * as shell from "./strings/shell";

/** The shell's labels, then each page's, as the registry lists them. */
const AREAS = [shell, ...REGISTRY.map((p) => p.strings)] as const;

type KeysOf<A> = A extends { en: infer E } ? keyof E & string : never;
/** Any label key of any area. */
export type Key = KeysOf<typeof shell> | KeysOf<(typeof REGISTRY)[number]["strings"]>;

export type Lang = "en" | "ko";

const tables: Record<Lang, Record<Key, string>> = {
  en: Object.assign({}, ...AREAS.map((a) => a.en)),
  ko: Object.assign({}, ...AREAS.map((a) => a.ko)),
};

let current: Lang = "en";

export function setLang(lang: Lang): void {
  current = lang;
  document.documentElement.lang = lang;
}

export function lang(): Lang {
  return current;
}

export function t(key: Key): string {
  return tables[current][key];
}

/** A label with `{name}` placeholders filled in. */
export function tf(key: Key, vars: Record<string, string | number>): string {
  return t(key).replace(/\{(\w+)\}/g, (m, name: string) => (name in vars ? String(vars[name]) : m));
}
