import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  classify,
  flatten,
  nest,
  planJson,
  planPromotion,
  productionProblems,
  PromotedKeys,
  renderPlan,
  Setting,
} from "../../stacks/promote/plan";

const s = (value: unknown, secret = false): Setting => ({ value, secret });
const settings = (entries: Record<string, unknown>) => new Map(Object.entries(entries).map(([k, v]) => [k, s(v)]));

describe("classification", () => {
  it("promotes what every stack shares and nothing that must differ per stack", () => {
    for (const key of [
      "keycloak.version",
      "keycloak.sessionMode",
      "keycloak.cacheMode",
      "realm.name",
      "realm.testUsers",
      "loadBalancer.affinity",
    ]) {
      expect(classify(key), key).toBe("promoted");
    }
    for (const key of [
      "target",
      "environment",
      "keycloak.nodes",
      "keycloak.hostname",
      "keycloak.image",
      "keycloak.adminUsername",
      "database.password",
      // A rotation in dev must never rotate production's password.
      "database.passwordRotation",
      "database.mode",
      "aws.instanceType",
      "aws.certificateArn",
      "kubernetes.namespace",
      "docker.loadBalancerPort",
    ]) {
      expect(classify(key), key).toBe("per-stack");
    }
  });
});

describe("reading the CLI's configuration", () => {
  it("walks objects to paths, keeps other namespaces out, marks only the secret settings secret", () => {
    const flat = flatten({
      "keycloak-cluster:target": { value: "kubernetes" },
      "keycloak-cluster:keycloak": { value: '{"nodes":3,"version":"26.7.3"}' },
      "keycloak-cluster:database": { value: '{"name":"kc","password":"p"}', secret: true },
      "kubernetes:context": { value: "x" },
    });
    expect([...flat]).toEqual([
      ["target", s("kubernetes")],
      ["keycloak.nodes", s(3)],
      ["keycloak.version", s("26.7.3")],
      ["database.name", s("kc")],
      ["database.password", s("p", true)],
    ]);
    expect(nest(flat)).toEqual({
      target: "kubernetes",
      keycloak: { nodes: 3, version: "26.7.3" },
      database: { name: "kc", password: "p" },
    });
  });
});

describe("the plan", () => {
  const dev = settings({
    target: "docker",
    "keycloak.nodes": 3,
    "keycloak.version": "26.7.3",
    "keycloak.sessionMode": "volatile",
    "realm.testUsers": 10,
  });
  const prod = settings({
    target: "kubernetes",
    environment: "production",
    "keycloak.nodes": 5,
    "keycloak.hostname": "https://sso.example.com",
    "keycloak.version": "26.7.1",
    "realm.testUsers": 10,
  });

  it("adds and changes the promoted keys, keeps the rest, never writes a per-stack key", () => {
    const plan = planPromotion(dev, prod);
    expect(plan.changes.map((c) => `${c.kind} ${c.key}`)).toEqual([
      "added keycloak.sessionMode",
      "changed keycloak.version",
      "unchanged realm.testUsers",
      "kept environment",
      "kept keycloak.hostname",
      "kept keycloak.nodes",
      "kept target",
    ]);
    expect([...plan.writes.keys()]).toEqual(["keycloak.sessionMode", "keycloak.version"]);
    expect(plan.result.get("keycloak.nodes")).toEqual(s(5));
    expect(plan.result.get("target")).toEqual(s("kubernetes"));
  });

  it("promotes only the keys asked for, and refuses per-stack keys by name", () => {
    expect([...planPromotion(dev, prod, ["keycloak.version"]).writes.keys()]).toEqual(["keycloak.version"]);
    expect(() => planPromotion(dev, prod, ["keycloak.nodes", "realm.clientId"])).toThrow(
      "nothing was promoted:\n  - keycloak.nodes is a per-stack key and is never promoted (promoted keys: " +
        PromotedKeys.join(", ") +
        ")\n  - realm.clientId is not set in the source stack",
    );
  });

  it("shows a readable diff and JSON, secrets never", () => {
    const secretDev = new Map([...dev, ["realm.clientId", s("hidden-value", true)]]);
    const plan = planPromotion(secretDev, prod);
    const text = renderPlan(plan, "dev", "prod");
    expect(text).toContain("promote dev → prod: 2 added, 1 changed, 1 unchanged, 4 kept");
    expect(text).toContain('~ keycloak.version             changed   "26.7.1" → "26.7.3"');
    expect(text).toContain("+ realm.clientId               added     [secret]");
    const json = JSON.stringify(planJson(plan, "dev", "prod", true, false));
    expect(json).not.toContain("hidden-value");
    expect(text).not.toContain("hidden-value");
  });

  it("properties: promoting twice changes nothing the second time; per-stack keys are never written; destination-only keys are kept", () => {
    const key = fc.constantFrom(...PromotedKeys, "target", "keycloak.nodes", "keycloak.hostname", "aws.region", "database.password");
    const value = fc.oneof(fc.string(), fc.integer(), fc.boolean());
    const config = fc.dictionary(key, value).map((d) => settings(d));
    fc.assert(
      fc.property(config, config, (source, destination) => {
        const once = planPromotion(source, destination);
        for (const written of once.writes.keys()) {
          expect(classify(written)).toBe("promoted");
        }
        for (const [k, v] of destination) {
          if (classify(k) === "per-stack" || !source.has(k)) {
            expect(once.result.get(k)).toEqual(v);
          }
        }
        const twice = planPromotion(source, once.result);
        expect(twice.writes.size).toBe(0);
        expect(twice.result).toEqual(once.result);
      }),
    );
  });
});

describe("production rules", () => {
  const prod = {
    environment: "production",
    target: "kubernetes",
    "keycloak.nodes": 3,
    "keycloak.hostname": "https://sso.example.com",
    "keycloak.cacheMode": "ispn",
  };

  it("a production stack that meets them", () => {
    expect(productionProblems(settings(prod))).toEqual([]);
    expect(productionProblems(settings({ environment: "dev", target: "docker", "keycloak.nodes": 1 }))).toEqual([]);
  });

  it("names every broken rule", () => {
    expect(
      productionProblems(
        settings({
          ...prod,
          target: "docker",
          "keycloak.nodes": 2,
          "keycloak.hostname": "http://sso.example.com",
          "keycloak.cacheMode": "local",
          "keycloak.acknowledgeLocalCache": true,
          "kubernetes.skipAwait": true,
        }),
      ),
    ).toEqual([
      "target: a production stack runs on kubernetes, openshift or aws, not on one Docker host",
      "keycloak.nodes: a production stack runs at least 3 nodes (a node can fail while another is updated)",
      "keycloak.hostname: a production stack serves an https hostname",
      'keycloak.cacheMode: a production stack forms one cluster: "ispn"',
      "keycloak.acknowledgeLocalCache: a development acknowledgement has no place in a production stack; remove it",
      "kubernetes.skipAwait: a development acknowledgement has no place in a production stack; remove it",
    ]);
  });
});
