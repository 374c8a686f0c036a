/** keycloak.dbPoolMaxSize and database.maxConnections: every node's pool fits the database's limit. */
import { describe, expect, it } from "vitest";
import { SecretText } from "../../components/shared/secret";
import { TargetContext } from "../../stacks/targets/target";
import { modelOf, problemsOf } from "./parse";

const context: TargetContext = { stack: "dev", provider: {} };
const external = (extra: Record<string, unknown> = {}) => ({
  mode: "external",
  jdbcUrl: "jdbc:postgresql://db.internal:5432/kc",
  password: new SecretText("s3cret"),
  ...extra,
});
const poolOf = (values: Record<string, unknown>) => modelOf(values, context).spec.keycloak.dbPoolMaxSize;

describe("each node's database pool", () => {
  it("defaults to what fits in the managed database's 100 connections (10 kept free), at most Keycloak's 100", () => {
    expect(poolOf({})).toBe(30);
    expect(poolOf({ keycloak: { nodes: 1 } })).toBe(90);
    expect(poolOf({ keycloak: { nodes: 4 } })).toBe(22);
    expect(poolOf({ keycloak: { nodes: 5 } })).toBe(18);
    expect(poolOf({ keycloak: { nodes: 30 }, docker: { maxNodes: 32 } })).toBe(3);
    expect(poolOf({ keycloak: { nodes: 30 }, docker: { maxNodes: 32 }, database: external({ maxConnections: 1000 }) })).toBe(33);
    expect(poolOf({ database: external({ maxConnections: 10000 }) })).toBe(100);
  });

  it("keeps a size that fits", () => {
    expect(poolOf({ keycloak: { nodes: 3, dbPoolMaxSize: 30 } })).toBe(30);
    expect(poolOf({ keycloak: { nodes: 3, dbPoolMaxSize: 90 }, database: external({ maxConnections: 300 }) })).toBe(90);
  });

  it("refuses pools that together exceed the database's limit, saying what fits", () => {
    expect(problemsOf({ keycloak: { nodes: 3, dbPoolMaxSize: 31 } }, context)).toEqual([
      "keycloak.dbPoolMaxSize: 3 nodes × 31 connections = 93, more than the 90 the database's limit of 100 leaves (10 are kept free); a node that restarts could not connect while the others' pools are full: set it to 30 or less",
    ]);
    expect(problemsOf({ keycloak: { nodes: 4, dbPoolMaxSize: 50 }, database: external({ maxConnections: 200 }) }, context)).toEqual([
      "keycloak.dbPoolMaxSize: 4 nodes × 50 connections = 200, more than the 190 the database's limit of 200 leaves (10 are kept free); a node that restarts could not connect while the others' pools are full: set it to 47 or less, or raise database.maxConnections to the server's max_connections",
    ]);
  });

  it("refuses a node count that leaves under 2 connections each, and a connection limit on the managed database", () => {
    expect(problemsOf({ keycloak: { nodes: 21 }, docker: { maxNodes: 32 }, database: external({ maxConnections: 50 }) }, context)).toEqual([
      "keycloak.nodes: 21 nodes leave fewer than 2 database connections each under the database's limit of 50: use fewer nodes, or raise database.maxConnections to the server's max_connections",
    ]);
    expect(problemsOf({ database: { maxConnections: 500 } }, context)).toEqual([
      "database.maxConnections: applies only to an external database (database.mode external); the managed one keeps PostgreSQL's 100: remove it (pulumi config rm --path database.maxConnections)",
    ]);
  });
});

describe("keycloak.clusterTls", () => {
  it("is on unless turned off", () => {
    expect(modelOf({}, context).spec.keycloak.clusterTls).toBe(true);
    expect(modelOf({ keycloak: { clusterTls: false } }, context).spec.keycloak.clusterTls).toBe(false);
  });
});
