import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { cacheConfigPath, inspectCacheConfig } from "../../../components/keycloak/cache-config";

const shipped = readFileSync("stacks/cache/fast-failure-detection.xml", "utf8");
const file = (body: string) => `<?xml version="1.0"?><infinispan xmlns="urn:infinispan:config:16.0">${body}</infinispan>`;

describe("a cache configuration file of the user's own", () => {
  it("the shipped fast-failure-detection file passes and names its stack, which the nodes select", () => {
    expect(inspectCacheConfig(shipped)).toEqual({ stack: "jdbc-ping-fast-fd", problems: [] });
    expect(cacheConfigPath({ fileName: "fast-failure-detection.xml" })).toBe("/opt/keycloak/conf/fast-failure-detection.xml");
  });

  it("a file without a transport stack passes (the stack stays keycloak.discovery's)", () => {
    expect(inspectCacheConfig(file('<cache-container name="keycloak"><transport lock-timeout="60000"/></cache-container>'))).toEqual({
      problems: [],
    });
  });

  it("refuses XML that is not well-formed, with the parser's reason and line", () => {
    const { problems } = inspectCacheConfig('<infinispan>\n<cache-container name="keycloak">\n</infinispan>');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^is not well-formed XML: .+ \(line \d+\)$/);
  });

  it("refuses another root element and a missing keycloak cache container", () => {
    expect(inspectCacheConfig("<config/>").problems).toEqual([
      "has no <infinispan> root element (start from Keycloak's conf/cache-ispn.xml)",
    ]);
    expect(inspectCacheConfig(file('<cache-container name="other"/>')).problems).toEqual([
      'has no <cache-container name="keycloak"> (Keycloak looks its caches up there)',
    ]);
  });

  it("reports every problem at once: an undefined transport stack, a redefined built-in stack, a code-only cache", () => {
    const xml = file(
      '<jgroups><stack name="tcp" extends="udp"/><stack name="mine" extends="tcp"/></jgroups>' +
        '<cache-container name="keycloak"><transport stack="missing"/><distributed-cache name="sessions"/>' +
        '<distributed-cache name="clientSessions"/></cache-container>',
    );
    expect(inspectCacheConfig(xml).problems).toEqual([
      'redefines the built-in JGroups stack "tcp": give your stack another name (it may extend "tcp")',
      'its transport names the JGroups stack "missing", which it does not define (defined: tcp, mine)',
      'redefines the cache "clientSessions": Keycloak groups each client session with its user session in code, which a file cannot express; remove it',
    ]);
  });

  it("a transport naming a built-in stack passes", () => {
    expect(inspectCacheConfig(file('<cache-container name="keycloak"><transport stack="tcp"/></cache-container>'))).toEqual({
      stack: "tcp",
      problems: [],
    });
  });
});
