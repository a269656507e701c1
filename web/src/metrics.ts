// Which memory metric a service reports: JVM heap for Java services, process memory
// (RSS) for Python and the rest. Learned once per service and remembered.

import { api, type MetricPoint, type Window } from "./api";

export const MEMORY_METRICS = ["process.memory.usage", "jvm.memory.used"] as const;

const known = new Map<string, string>();

export async function memoryMetric(
  service: string,
  instance: string,
  w: Window,
  step: number,
  signal: AbortSignal,
): Promise<{ name: string; points: MetricPoint[] } | null> {
  const fetchOne = async (name: string) => {
    const r = await api.metricSeries({ name, service, instance: instance || undefined, step, agg: "avg", ...w }, signal);
    return { name, points: r.points };
  };
  const cached = known.get(service);
  if (cached) return fetchOne(cached);
  const all = await Promise.all(MEMORY_METRICS.map(fetchOne));
  // A Java service may also report process memory: the JVM heap is the figure its users know.
  const pick = all.find((x) => x.name === "jvm.memory.used" && x.points.length) ?? all.find((x) => x.points.length);
  if (pick) known.set(service, pick.name);
  return pick ?? null;
}
