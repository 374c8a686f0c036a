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

const managedLimitOf = (values: Record<string, unknown>) => {
  const database = modelOf(values, context).spec.database;
  return database.mode === "managed" ? database.maxConnections : undefined;
};

describe("each node's database pool", () => {
  it("defaults to 30 whatever the node count, so scaling changes no node's settings", () => {
    expect(poolOf({})).toBe(30);
    expect(poolOf({ keycloak: { nodes: 1 } })).toBe(30);
    expect(poolOf({ keycloak: { nodes: 4 } })).toBe(30);
    expect(poolOf({ keycloak: { nodes: 6 } })).toBe(30);
    expect(poolOf({ keycloak: { nodes: 3, dbPoolMaxSize: 90 }, database: external({ maxConnections: 300 }) })).toBe(90);
  });

  it("starts the managed database with 200 connections, or the ones set", () => {
    expect(managedLimitOf({})).toBe(200);
    expect(managedLimitOf({ keycloak: { nodes: 8 }, database: { maxConnections: 400 } })).toBe(400);
  });

  it("refuses pools that together exceed the database's limit, naming the key chosen and what fits", () => {
    expect(problemsOf({ keycloak: { nodes: 3, dbPoolMaxSize: 64 } }, context)).toEqual([
      "keycloak.dbPoolMaxSize: 3 nodes × 64 connections = 192, more than the 190 the database's limit of 200 leaves (10 are kept free); a node that restarts could not connect while the others' pools are full: set keycloak.dbPoolMaxSize to 63 or less, or raise database.maxConnections to 202 (the managed database is started with it)",
    ]);
    expect(problemsOf({ keycloak: { nodes: 4, dbPoolMaxSize: 50 }, database: external({ maxConnections: 200 }) }, context)).toEqual([
      "keycloak.dbPoolMaxSize: 4 nodes × 50 connections = 200, more than the 190 the database's limit of 200 leaves (10 are kept free); a node that restarts could not connect while the others' pools are full: set keycloak.dbPoolMaxSize to 47 or less, or raise database.maxConnections to 210 (the server's max_connections must allow it)",
    ]);
  });

  it("refuses a node count whose default pools do not fit, and accepts it once the limit is raised", () => {
    expect(problemsOf({ keycloak: { nodes: 7 } }, context)).toEqual([
      "keycloak.nodes: 7 nodes × 30 connections (the default pool) = 210, more than the 190 the database's limit of 200 leaves (10 are kept free); a node that restarts could not connect while the others' pools are full: set keycloak.dbPoolMaxSize to 27 or less, or raise database.maxConnections to 220 (the managed database is started with it)",
    ]);
    expect(problemsOf({ keycloak: { nodes: 4 }, database: external() }, context)).toEqual([
      "keycloak.nodes: 4 nodes × 30 connections (the default pool) = 120, more than the 90 the database's limit of 100 leaves (10 are kept free); a node that restarts could not connect while the others' pools are full: set keycloak.dbPoolMaxSize to 22 or less, or raise database.maxConnections to 130 (the server's max_connections must allow it)",
    ]);
    expect(managedLimitOf({ keycloak: { nodes: 7 }, database: { maxConnections: 220 } })).toBe(220);
  });
});

describe("keycloak.clusterTls", () => {
  it("is on unless turned off", () => {
    expect(modelOf({}, context).spec.keycloak.clusterTls).toBe(true);
    expect(modelOf({ keycloak: { clusterTls: false } }, context).spec.keycloak.clusterTls).toBe(false);
  });
});
