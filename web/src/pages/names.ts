// Instances by the names people know them by. An instance's id is its
// `service.instance.id` (often a UUID); the API sends its name (the pod or host name)
// as `instance_name` beside every `instance` field and as `instance_names: {id: name}`
// beside plain lists of ids. Pages show the name and keep the full id on hover.

/** A row with an instance id and, when the API knows it, the instance's name. */
export interface Named {
  instance: string;
  instance_name?: string | null;
}

/** The name to show for a row's instance: its name, else `fallback`'s, else its id. */
export function nameOf(r: Named, fallback?: (id: string) => string): string {
  return r.instance_name || fallback?.(r.instance) || r.instance;
}

/** id → name, learned from every answer a page receives. */
export class InstanceNames {
  private readonly names = new Map<string, string>();

  /** Remember the names in `rows` and in an `instance_names` map (such as `ctx.instanceNames`). */
  learn(rows: readonly Named[] = [], map?: Record<string, string | null | undefined> | null): this {
    for (const r of rows) if (r.instance_name && r.instance_name !== r.instance) this.names.set(r.instance, r.instance_name);
    for (const [id, name] of Object.entries(map ?? {})) if (name && name !== id) this.names.set(id, name);
    return this;
  }

  of(id: string): string {
    return this.names.get(id) || id;
  }

  /** One label per id, made unique (two instances sharing a name get their short id). */
  labels(ids: readonly string[]): string[] {
    const names = ids.map((id) => this.of(id));
    const count = new Map<string, number>();
    for (const n of names) count.set(n, (count.get(n) ?? 0) + 1);
    return names.map((n, i) => ((count.get(n) ?? 0) > 1 && n !== ids[i] ? `${n} (${ids[i].slice(0, 8)})` : n));
  }
}

/** What a chart draws as category or legend labels, for the browser tests to read. */
export function markLabels(el: HTMLElement, labels: readonly string[]): void {
  el.dataset.labels = JSON.stringify(labels);
}
