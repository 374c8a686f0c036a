// diff: which inputs changed, which of them force a replacement, and whether the old
// resource must go first (a fixed Docker name cannot exist twice).

import type { DiffResult } from "@pulumi/pulumi/provider";
import { CONTAINER, type PropSpec, type ResourceSpec, specFor } from "./schema";
import { type Props, containsUnknown, isZero, parseGoDuration, stableJson, unwrap } from "./values";

const DURATION_FIELDS = new Set(["interval", "timeout", "startPeriod"]);

/** A comparable form of a value: zero values dropped, sets sorted, durations in ns. */
export function normalize(spec: PropSpec, value: unknown): unknown {
  if (isZero(value)) {
    return undefined;
  }
  switch (spec.kind) {
    case "stringList": {
      const list = (value as unknown[]).map(String);
      return spec.set ? [...list].sort() : list;
    }
    case "object":
      return normalizeObject(spec.fields ?? {}, value as Props);
    case "objectList": {
      const list = (value as Props[]).map((o) => normalizeObject(spec.fields ?? {}, o));
      return spec.set ? [...list].sort((a, b) => stableJson(a).localeCompare(stableJson(b))) : list;
    }
    default:
      return value;
  }
}

function normalizeObject(fields: Readonly<Record<string, PropSpec>>, obj: Props): Props {
  const out: Props = {};
  for (const [k, spec] of Object.entries(fields)) {
    let v = obj[k];
    if (DURATION_FIELDS.has(k) && typeof v === "string") {
      try {
        v = parseGoDuration(v);
      } catch {
        // left as text; check reports it
      }
    }
    // Defaults count as "not set", like the real provider's zero-value semantics.
    if (v !== undefined && stableJson(v) === stableJson(spec.default)) {
      v = undefined;
    }
    const n = normalize(spec, v);
    if (n !== undefined) {
      out[k] = n;
    }
  }
  return out;
}

/** Ports: an `external` left out is Computed in the real schema (Docker picked one). */
function fillComputedPorts(olds: unknown, news: unknown): unknown {
  if (!Array.isArray(olds) || !Array.isArray(news)) {
    return news;
  }
  return news.map((p: Props, i) => {
    const o = olds[i] as Props | undefined;
    if (p && o && p.external === undefined && o.internal === p.internal) {
      return { ...p, external: o.external };
    }
    return p;
  });
}

export function changedKeys(spec: ResourceSpec, olds: Props, news: Props): string[] {
  const changed: string[] = [];
  for (const [key, prop] of Object.entries(spec.props)) {
    const rawNew = news[key];
    if (containsUnknown(rawNew)) {
      changed.push(key);
      continue;
    }
    const o = unwrap(olds[key]);
    let n = unwrap(rawNew);
    if (isZero(n) && spec.computedOptional.has(key)) {
      continue;
    }
    if (key === "ports") {
      n = fillComputedPorts(o, n);
    }
    if (stableJson(normalize(prop, o)) !== stableJson(normalize(prop, n))) {
      changed.push(key);
    }
  }
  return changed;
}

/**
 * Docker cannot lift a memory limit in place (ContainerUpdate treats 0 as "unchanged"), so
 * removing `memory` replaces the container; the real provider silently keeps the old limit.
 */
function liftsMemoryLimit(spec: ResourceSpec, key: string, olds: Props, news: Props): boolean {
  return spec.token === CONTAINER.token && key === "memory" && !isZero(unwrap(olds?.memory)) && isZero(unwrap(news?.memory));
}

/** `olds` are the old outputs (they hold every input), `news` the checked new inputs. */
export function diff(urn: string, olds: Props, news: Props): DiffResult {
  const spec = specFor(urn);
  const changed = changedKeys(spec, olds ?? {}, news ?? {});
  const replaces = changed.filter((k) => spec.replaceKeys.has(k) || liftsMemoryLimit(spec, k, olds, news));
  const autoNamed = Array.isArray(news?.__defaults) && (news.__defaults as unknown[]).includes("name");
  return {
    changes: changed.length > 0,
    replaces,
    deleteBeforeReplace: replaces.length > 0 && spec.autoName && !autoNamed,
  };
}
