/**
 * A cache configuration file of the user's own (Keycloak's `cache-config-file`), e.g. a JGroups
 * stack that detects a frozen node in seconds: what Keycloak needs of it, checked before
 * anything is created, and where every target puts it on the nodes.
 */
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { KeycloakHome } from "./settings";

/** The file as the nodes get it. */
export interface CacheConfig {
  /** Its name in Keycloak's conf/ folder (`cache-config-file` is relative to it). */
  readonly fileName: string;
  readonly content: string;
  /** The JGroups stack its transport names, if any: `cache-stack` is set to it (the option wins over the file). */
  readonly stack?: string;
}

/** Where the nodes read it. */
export function cacheConfigPath(config: Pick<CacheConfig, "fileName">): string {
  return `${KeycloakHome}/conf/${config.fileName}`;
}

/** Stacks Infinispan and Keycloak define themselves (a file may name them without defining them). */
export const BuiltInStacks: readonly string[] = ["tcp", "udp", "kubernetes", "ec2", "azure", "google", "jdbc-ping", "jdbc-ping-udp"];

/**
 * Caches Keycloak sets up in code in a way a file cannot express: it groups each client session
 * with its user session, and a definition from a file silently loses that.
 */
export const CodeOnlyCaches: readonly string[] = ["clientSessions", "offlineClientSessions"];

type Node = Record<string, unknown>;
const list = (value: unknown): Node[] => (Array.isArray(value) ? value : value === undefined ? [] : [value]) as Node[];
const attr = (node: Node, name: string): string | undefined => {
  const value = node[`@_${name}`];
  return typeof value === "string" ? value : undefined;
};

/**
 * Checks a cache configuration file; returns what it found, and every problem (empty when
 * Keycloak can use it): well-formed XML, an <infinispan> root with the `keycloak` cache
 * container, a transport stack that is defined (in the file or built in), no stack redefining a
 * built-in one, none of {@link CodeOnlyCaches} redefined.
 */
export function inspectCacheConfig(xml: string): { readonly stack?: string; readonly problems: readonly string[] } {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) {
    return { problems: [`is not well-formed XML: ${valid.err.msg} (line ${valid.err.line})`] };
  }
  const doc = new XMLParser({ ignoreAttributes: false, removeNSPrefix: true }).parse(xml) as Node;
  const root = doc.infinispan as Node | undefined;
  if (root === undefined || typeof root !== "object") {
    return { problems: ["has no <infinispan> root element (start from Keycloak's conf/cache-ispn.xml)"] };
  }
  const problems: string[] = [];
  const stacks = list((root.jgroups as Node | undefined)?.stack);
  const defined = stacks.map((s) => attr(s, "name")).filter((n): n is string => n !== undefined);
  for (const name of defined.filter((n) => BuiltInStacks.includes(n))) {
    problems.push(`redefines the built-in JGroups stack "${name}": give your stack another name (it may extend "tcp")`);
  }
  const container = list(root["cache-container"]).find((c) => attr(c, "name") === "keycloak");
  if (container === undefined) {
    problems.push('has no <cache-container name="keycloak"> (Keycloak looks its caches up there)');
    return { problems };
  }
  const stack = attr(list(container.transport)[0] ?? {}, "stack");
  if (stack !== undefined && !defined.includes(stack) && !BuiltInStacks.includes(stack)) {
    problems.push(`its transport names the JGroups stack "${stack}", which it does not define (defined: ${defined.join(", ") || "none"})`);
  }
  const caches = ["distributed-cache", "replicated-cache", "local-cache", "invalidation-cache"].flatMap((kind) =>
    list(container[kind]).map((c) => attr(c, "name")),
  );
  for (const name of CodeOnlyCaches.filter((n) => caches.includes(n))) {
    problems.push(
      `redefines the cache "${name}": Keycloak groups each client session with its user session in code, which a file cannot express; remove it`,
    );
  }
  return { ...(stack === undefined ? {} : { stack }), problems };
}
