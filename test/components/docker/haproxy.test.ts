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
    expect(config).toContain("default-server check port 9000 inter 2s fall 2 rise 2 init-addr last,libc,none resolvers nodes");
    expect(config).toContain("nameserver dns 127.0.0.11:53");
  });

  it("retries connection failures on another node", () => {
    expect(config).toContain("retry-on conn-failure empty-response");
    expect(config).toContain("option redispatch 1");
  });

  it("never proxies management paths", () => {
    expect(config).toContain("http-request deny deny_status 404 if { path_beg /health /metrics }");
  });

  it("adds dynamic cookie affinity only when asked", () => {
    expect(config).not.toMatch(/cookie/);
    expect(haproxyConfig({ ...base, affinity: true })).toContain("cookie KC_LB_ROUTE insert indirect nocache httponly dynamic");
  });
});
