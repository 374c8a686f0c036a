/**
 * Stack configuration → validated model. Schema parse, then errors flattened to
 * `keycloak-cluster:<path>: <message>`, then rules across fields. Every problem is reported at
 * once, and nothing is registered when there is any.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { CacheMode, ClusterSpec, Discovery, Target } from "../components/keycloak/model";
import { KeycloakVersion } from "../components/keycloak/version";
import { DockerTargetSpec, hostAddress } from "../components/docker/containers";
import { configSchema, dockerSchema, RawConfig } from "./schema";

export const Namespace = "keycloak-cluster";

export interface ConfigProblem {
  /** Key path, e.g. `keycloak.nodes`. */
  readonly path: string;
  /** What is wrong and how to fix it. */
  readonly message: string;
}

export interface StackModel {
  readonly spec: ClusterSpec;
  /** Present for target docker. */
  readonly docker?: DockerTargetSpec;
}

export type ParseResult = { readonly ok: true; readonly model: StackModel } | { readonly ok: false; readonly problems: ConfigProblem[] };

/** The targets whose components exist today. */
export const ImplementedTargets: readonly Target[] = [Target.Docker];

/** Oldest Keycloak whose options this project uses (cache-embedded-network-*, bootstrap-admin-*). */
export const MinimumVersion = { major: 26, minor: 4 };

/** Parses raw configuration (top-level keys without the namespace) for stack `stack`. */
export function parseConfig(raw: Record<string, unknown>, stack: string): ParseResult {
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    return { ok: false, problems: zodProblems(parsed.error) };
  }
  const problems: ConfigProblem[] = [];
  const model = toModel(parsed.data, stack, problems);
  return problems.length ? { ok: false, problems } : { ok: true, model };
}

function zodProblems(error: z.ZodError): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const issue of error.issues) {
    const base = issue.path.map(String).join(".");
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        const path = base ? `${base}.${key}` : key;
        problems.push({ path, message: `unknown key; remove it (pulumi config rm --path ${configKey(path)}) or check its spelling` });
      }
    } else if (!problems.some((p) => p.path === base && p.message === issue.message)) {
      // A value can fail several checks with the same message (e.g. regex and refine); say it once.
      problems.push({ path: base, message: issue.message });
    }
  }
  return problems;
}

function toModel(raw: RawConfig, stack: string, problems: ConfigProblem[]): StackModel {
  const problem = (path: string, message: string) => problems.push({ path, message });
  const kc = raw.keycloak;
  const version = KeycloakVersion.of(kc.version);

  if (!ImplementedTargets.includes(raw.target)) {
    problem("target", `the ${raw.target} target is not built yet; use "docker" (pulumi config set target docker)`);
  }
  if (!version.atLeast(MinimumVersion.major, MinimumVersion.minor)) {
    problem("keycloak.version", `Keycloak ${version.toString()} is too old: this project needs 26.4 or later (the pinned version is ${KeycloakVersion.pinned.toString()})`);
  }
  if (kc.cacheMode === CacheMode.Local && !kc.acknowledgeLocalCache) {
    problem("keycloak.cacheMode", `"local" gives every node its own caches, so the nodes never form one cluster; it exists only to demonstrate that failure. Use "ispn", or also set keycloak.acknowledgeLocalCache to true`);
  }
  if (kc.discovery === Discovery.Kubernetes && raw.target !== Target.Kubernetes && raw.target !== Target.OpenShift) {
    problem("keycloak.discovery", `"kubernetes" (DNS_PING) works only on the kubernetes and openshift targets; use "jdbc-ping"`);
  }
  if (kc.optimizedImage && kc.image === undefined) {
    problem("keycloak.optimizedImage", "the official image is not built for this cluster's build options; set keycloak.image to an image built with `kc.sh build` for them, or set optimizedImage to false");
  }
  if (raw.docker !== undefined && raw.target !== Target.Docker) {
    problem("docker", `docker settings apply only to target "docker" (this stack's target is "${raw.target}"); remove them`);
  }

  const docker = raw.target === Target.Docker ? dockerTarget(raw, stack, problem) : undefined;
  const publicUrl = (kc.hostname ?? (docker ? `http://${hostAddress(docker)}:${docker.loadBalancerPort}` : "")).replace(/\/+$/, "");
  if (!publicUrl && raw.target !== Target.Docker) {
    problem("keycloak.hostname", `the ${raw.target} target needs the public URL of the load balancer, e.g. https://keycloak.example.com`);
  }

  const spec: ClusterSpec = {
    target: raw.target,
    environment: raw.environment,
    keycloak: {
      version: version.toString(),
      image: kc.image ?? version.officialImage(),
      optimizedImage: kc.optimizedImage,
      nodes: kc.nodes,
      sessionMode: kc.sessionMode,
      cacheMode: kc.cacheMode,
      discovery: kc.discovery,
      publicUrl,
      adminUsername: kc.adminUsername,
      resources: kc.resources,
      logLevel: kc.logLevel,
    },
    database: raw.database,
    loadBalancer: raw.loadBalancer,
    realm: {
      name: raw.realm.name,
      clientId: raw.realm.clientId,
      redirectUri: raw.realm.redirectUri ?? `${publicUrl}/keycloak-cluster/callback`,
      testUsers: raw.realm.testUsers,
    },
  };
  return { spec, docker };
}

function dockerTarget(raw: RawConfig, stack: string, problem: (path: string, message: string) => void): DockerTargetSpec {
  const docker = raw.docker ?? dockerSchema.parse({});
  const nodes = raw.keycloak.nodes;
  if (nodes > docker.maxNodes) {
    problem("keycloak.nodes", `${nodes} nodes exceed docker.maxNodes (${docker.maxNodes}); lower keycloak.nodes or raise docker.maxNodes`);
  }
  const ranges = [
    { key: "docker.loadBalancerPort", from: docker.loadBalancerPort, to: docker.loadBalancerPort },
    { key: "docker.nodeHttpBasePort", from: docker.nodeHttpBasePort, to: docker.nodeHttpBasePort + nodes - 1 },
    { key: "docker.nodeManagementBasePort", from: docker.nodeManagementBasePort, to: docker.nodeManagementBasePort + nodes - 1 },
  ];
  ranges.forEach((a, i) =>
    ranges.slice(i + 1).forEach((b) => {
      if (a.from <= b.to && b.from <= a.to) {
        problem(b.key, `host ports ${b.from}-${b.to} overlap ${a.key} (${a.from}-${a.to}); choose ports that do not overlap`);
      }
    }),
  );
  if (docker.nodeHttpBasePort + nodes - 1 > 65535 || docker.nodeManagementBasePort + nodes - 1 > 65535) {
    problem("docker", `node ports run past 65535 with ${nodes} nodes; lower the base ports`);
  }
  return {
    namePrefix: docker.namePrefix ?? `kc-${stack}`.toLowerCase().replace(/[^a-z0-9_.-]/g, "-"),
    bindAddress: docker.bindAddress,
    loadBalancerPort: docker.loadBalancerPort,
    nodeHttpBasePort: docker.nodeHttpBasePort,
    nodeManagementBasePort: docker.nodeManagementBasePort,
    readyTimeoutSeconds: docker.readyTimeoutSeconds,
    maxNodes: docker.maxNodes,
  };
}

/** `keycloak.nodes` → `keycloak-cluster:keycloak.nodes` (top-level keys are namespaced, paths are not). */
export function configKey(path: string): string {
  return `${Namespace}:${path}`;
}

/** One line per problem, all at once. */
export function formatProblems(problems: readonly ConfigProblem[]): string {
  const lines = problems.map((p) => `  - ${configKey(p.path || "(root)")}: ${p.message}`);
  return `invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n${lines.join("\n")}`;
}

/** Throws one error carrying every problem with its property path. */
export function throwProblems(problems: readonly ConfigProblem[]): never {
  throw new pulumi.InputPropertiesError({
    message: formatProblems(problems),
    errors: problems.map((p) => ({ propertyPath: configKey(p.path), reason: p.message })),
  });
}

/** Top-level keys of the namespace. */
export const ConfigKeys = Object.keys(configSchema.shape);
