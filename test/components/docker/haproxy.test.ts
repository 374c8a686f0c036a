import { describe, expect, it } from "vitest";
import { haproxyConfig } from "../../../components/docker/haproxy";

const base = {
  listenPort: 8080,
  nodesDnsName: "kc-keycloak",
  maxNodes: 5,
  httpPort: 8080,
  managementPort: 9000,
  healthPath: "/health/ready",
  nameserver: "127.0.0.11:53",
  affinity: false,
};

describe("HAProxy configuration", () => {
  const config = haproxyConfig(base);

  it("fills servers from the nodes' DNS name and checks /health/ready on the management port", () => {
    expect(config).toContain("server-template kc 5 kc-keycloak:8080");
    expect(config).toContain("option httpchk GET /health/ready");
    expect(config).toContain("default-server check port 9000 inter 1s fall 2 rise 2 init-addr last,libc,none resolvers nodes");
    expect(config).toContain("nameserver dns 127.0.0.11:53");
    expect(config).toContain("timeout check 1s");
    expect(config).toContain("timeout connect 500ms");
  });

  it("retries on another node: any request that never reached a node, only public GETs and HEADs that did", () => {
    const lines = config.split("\n").map((l) => l.trim());
    expect(lines).toContain("retry-on conn-failure empty-response response-timeout");
    expect(lines).toContain("option redispatch 1");
    expect(lines).toContain("acl safe_to_repeat method GET HEAD");
    expect(lines).toContain("acl public_path path_beg /realms/");
    expect(lines).toContain("http-request disable-l7-retry unless safe_to_repeat public_path");
    expect(lines).toContain("http-request set-timeout server 4s if safe_to_repeat public_path");
    // Requests rules run in order, so the retry rules come before the backend's servers.
    expect(lines.indexOf("http-request disable-l7-retry unless safe_to_repeat public_path")).toBeLessThan(
      lines.findIndex((l) => l.startsWith("server-template")),
    );
  });

  it("logs only failed requests and reuses connections to the nodes for any client (bench:lb)", () => {
    expect(config).toContain("option dontlog-normal");
    expect(config).toContain("http-reuse always");
  });

  it("never proxies management paths", () => {
    expect(config).toContain("http-request deny deny_status 404 if { path_beg /health /metrics }");
  });

  it("adds dynamic cookie affinity only when asked", () => {
    expect(config).not.toMatch(/cookie/);
    expect(haproxyConfig({ ...base, affinity: true })).toContain("cookie KC_LB_ROUTE insert indirect nocache httponly dynamic");
  });
});
