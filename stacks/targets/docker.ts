/** Target docker: its settings (`keycloak-cluster:docker`), defaults and rules. */
import { DockerTargetSpec, hostAddress } from "../../components/docker/containers";
import { Target } from "../../components/keycloak/model";
import type { LenientConfig, RawConfig } from "../schema";
import { imageRef, int, ipv4, port, text } from "../schema-kit";
import { Problem, TargetContext, TargetModule } from "./target";

export const dockerFields = {
  namePrefix: text(
    "1-41 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit",
    /^[a-z0-9][a-z0-9_.-]{0,40}$/,
  ).optional(),
  bindAddress: ipv4.default("127.0.0.1"),
  loadBalancerPort: port.default(8080),
  nodeHttpBasePort: port.default(18080),
  nodeManagementBasePort: port.default(19000),
  readyTimeoutSeconds: int(30, 3600).default(600),
  maxNodes: int(1, 32).default(9),
  databaseImage: imageRef.default("postgres:17"),
  loadBalancerImage: imageRef.default("haproxy:3.2"),
};

type DockerFields = NonNullable<LenientConfig["docker"]>;

/** The engine the stack deploys to: `docker:host`, else the deploying process's DOCKER_HOST. */
export function engineHost(context: TargetContext): string | undefined {
  return context.provider["docker:host"] || context.provider.DOCKER_HOST || undefined;
}

/** Every host port the stack publishes, with the key it comes from. */
function hostPorts(docker: DockerFields, nodes: number) {
  const ports: { key: string; what: string; port: number }[] = [];
  if (docker.loadBalancerPort !== undefined) {
    ports.push({ key: "docker.loadBalancerPort", what: "docker.loadBalancerPort", port: docker.loadBalancerPort });
  }
  for (const [key, role] of [
    ["nodeHttpBasePort", "HTTP"],
    ["nodeManagementBasePort", "management"],
  ] as const) {
    const base = docker[key];
    if (base !== undefined) {
      for (let i = 0; i < nodes; i++) {
        ports.push({ key: `docker.${key}`, what: `node kc-${i}'s ${role} port (docker.${key}${i ? ` + ${i}` : ""})`, port: base + i });
      }
    }
  }
  return ports;
}

function portRules(docker: DockerFields, nodes: number, problem: Problem): void {
  const ports = hostPorts(docker, nodes);
  const reported = new Set<string>();
  ports.forEach((a, i) => {
    for (const b of ports.slice(i + 1)) {
      const pair = `${a.key}|${b.key}`;
      if (a.port === b.port && a.key !== b.key && !reported.has(pair)) {
        reported.add(pair);
        problem(b.key, `${b.what} is ${b.port}, the same host port as ${a.what}; choose ports that do not overlap`);
      }
    }
  });
  for (const key of ["nodeHttpBasePort", "nodeManagementBasePort"] as const) {
    const last = (docker[key] ?? 0) + nodes - 1;
    if (docker[key] !== undefined && last > 65535) {
      problem(`docker.${key}`, `node kc-${nodes - 1}'s port would be ${last}, past 65535; lower docker.${key}`);
    }
  }
}

export const dockerTarget: TargetModule<typeof Target.Docker, NonNullable<RawConfig["docker"]>, DockerTargetSpec> = {
  target: Target.Docker,

  defaultPublicUrl(config, context) {
    const docker = config.docker ?? {};
    return `http://${hostAddress({ bindAddress: docker.bindAddress ?? "127.0.0.1", host: engineHost(context) })}:${docker.loadBalancerPort ?? 8080}`;
  },

  defaults: {
    keycloak: { limits: { cpus: 2, memoryMb: 1536 } },
    database: { limits: { cpus: 1, memoryMb: 512 } },
  },

  rules(config: LenientConfig, problem: Problem) {
    const docker = config.docker ?? {};
    const nodes = config.keycloak?.nodes;
    if (nodes !== undefined && docker.maxNodes !== undefined && nodes > docker.maxNodes) {
      problem(
        "keycloak.nodes",
        `${nodes} nodes exceed docker.maxNodes (${docker.maxNodes}); lower keycloak.nodes or raise docker.maxNodes`,
      );
    }
    if (nodes !== undefined) {
      portRules(docker, nodes, problem);
    }
    for (const key of ["keycloak", "database"] as const) {
      if (config[key]?.resources?.requests !== undefined) {
        problem(
          `${key}.resources.requests`,
          `Docker has no resource requests, only limits; remove it (pulumi config rm --path ${key}.resources.requests) and set ${key}.resources.limits`,
        );
      }
    }
    if (config.database?.storageGb !== undefined) {
      problem("database.storageGb", "a Docker volume has no size; remove it (pulumi config rm --path database.storageGb)");
    }
  },

  settings(_config: RawConfig, docker, context: TargetContext): DockerTargetSpec {
    const host = engineHost(context);
    return {
      ...(host ? { host } : {}),
      namePrefix:
        docker.namePrefix ??
        `kc-${context.stack}`
          .toLowerCase()
          .replace(/[^a-z0-9_.-]/g, "-")
          .slice(0, 41),
      bindAddress: docker.bindAddress,
      loadBalancerPort: docker.loadBalancerPort,
      nodeHttpBasePort: docker.nodeHttpBasePort,
      nodeManagementBasePort: docker.nodeManagementBasePort,
      readyTimeoutSeconds: docker.readyTimeoutSeconds,
      maxNodes: docker.maxNodes,
      databaseImage: docker.databaseImage,
      loadBalancerImage: docker.loadBalancerImage,
    };
  },
};
