// The subset of the @pulumi/docker 5.2.0 schema this stand-in implements: property names,
// defaults and which properties force a replacement. Names and defaults follow the real
// provider (kreuzwerker/terraform-provider-docker, bridged by pulumi-docker); see
// ../README.md for the sources and the deviations.

export type Kind = "string" | "int" | "bool" | "stringList" | "objectList" | "object";

export interface PropSpec {
  readonly kind: Kind;
  readonly required?: boolean;
  readonly default?: unknown;
  /** Order does not matter (a Terraform TypeSet). */
  readonly set?: boolean;
  /** Fields of an object / of the objects in an objectList. */
  readonly fields?: Readonly<Record<string, PropSpec>>;
}

export interface ResourceSpec {
  readonly token: string;
  readonly props: Readonly<Record<string, PropSpec>>;
  /** Inputs whose change forces a replacement (Terraform ForceNew). */
  readonly replaceKeys: ReadonlySet<string>;
  /** Optional+Computed inputs: leaving them out after create is not a change. */
  readonly computedOptional: ReadonlySet<string>;
  /** The resource has a Docker-unique name: auto-named when absent, delete-before-replace when set. */
  readonly autoName: boolean;
}

const str: PropSpec = { kind: "string" };
const int: PropSpec = { kind: "int" };
const bool: PropSpec = { kind: "bool" };
const strList: PropSpec = { kind: "stringList" };
const labels: PropSpec = {
  kind: "objectList",
  set: true,
  fields: { label: { kind: "string", required: true }, value: { kind: "string", required: true } },
};

export const NETWORK: ResourceSpec = {
  token: "docker:index/network:Network",
  props: { name: str, driver: str, internal: bool, attachable: bool, labels },
  replaceKeys: new Set(["name", "driver", "internal", "attachable", "labels"]),
  computedOptional: new Set(["driver", "internal"]),
  autoName: true,
};

export const VOLUME: ResourceSpec = {
  token: "docker:index/volume:Volume",
  props: { name: str, driver: str, labels },
  replaceKeys: new Set(["name", "driver", "labels"]),
  computedOptional: new Set(["driver"]),
  autoName: true,
};

export const REMOTE_IMAGE: ResourceSpec = {
  token: "docker:index/remoteImage:RemoteImage",
  props: { name: { kind: "string", required: true }, keepLocally: bool },
  replaceKeys: new Set(["name"]),
  computedOptional: new Set(),
  autoName: false,
};

export const CONTAINER: ResourceSpec = {
  token: "docker:index/container:Container",
  props: {
    name: str,
    image: { kind: "string", required: true },
    command: strList,
    entrypoints: strList,
    envs: { kind: "stringList", set: true },
    hostname: str,
    user: str,
    restart: { kind: "string", default: "no" },
    maxRetryCount: int,
    ports: {
      kind: "objectList",
      fields: {
        internal: { kind: "int", required: true },
        external: int,
        ip: { kind: "string", default: "0.0.0.0" },
        protocol: { kind: "string", default: "tcp" },
      },
    },
    networksAdvanced: {
      kind: "objectList",
      set: true,
      fields: { name: { kind: "string", required: true }, aliases: { kind: "stringList", set: true } },
    },
    volumes: {
      kind: "objectList",
      set: true,
      fields: { volumeName: str, containerPath: str, readOnly: bool },
    },
    uploads: {
      kind: "objectList",
      set: true,
      fields: {
        file: { kind: "string", required: true },
        content: str,
        contentBase64: str,
        executable: { kind: "bool", default: false },
      },
    },
    healthcheck: {
      kind: "object",
      fields: {
        tests: strList,
        interval: { kind: "string", default: "0s" },
        timeout: { kind: "string", default: "0s" },
        startPeriod: { kind: "string", default: "0s" },
        retries: { kind: "int", default: 0 },
      },
    },
    labels,
    memory: int,
    // CPU limit as a decimal string ("1.5"), Docker's NanoCpus; replaces the container.
    cpus: str,
    stopTimeout: int,
    stopSignal: str,
    wait: { kind: "bool", default: false },
    waitTimeout: { kind: "int", default: 60 },
    mustRun: { kind: "bool", default: true },
    logDriver: str,
  },
  // ForceNew in resource_docker_container.go. Not ForceNew there: restart, maxRetryCount,
  // memory (updated in place with ContainerUpdate), wait, waitTimeout, mustRun (state only)
  // and healthcheck (see README: the real provider records it without applying it; here it
  // replaces, as upstream PR #989 does).
  replaceKeys: new Set([
    "name",
    "image",
    "command",
    "entrypoints",
    "envs",
    "hostname",
    "user",
    "ports",
    "networksAdvanced",
    "volumes",
    "uploads",
    "labels",
    "stopTimeout",
    "stopSignal",
    "logDriver",
    "healthcheck",
  ]),
  computedOptional: new Set([
    "hostname",
    "command",
    "entrypoints",
    "envs",
    "labels",
    "logDriver",
    "stopSignal",
    "stopTimeout",
    "healthcheck",
    "user",
  ]),
  autoName: true,
};

/** Properties Docker changes in place with `container.update`. */
export const CONTAINER_UPDATABLE: ReadonlySet<string> = new Set(["restart", "maxRetryCount", "memory"]);

export const SPECS: ReadonlyMap<string, ResourceSpec> = new Map([NETWORK, VOLUME, REMOTE_IMAGE, CONTAINER].map((s) => [s.token, s]));

/** The resource type token: the third `::` field of the URN (after any parent types). */
export function typeOfUrn(urn: string): string {
  const qualified = urn.split("::")[2] ?? "";
  return qualified.split("$").pop() ?? "";
}

/** The resource's logical name: the fourth `::` field of the URN. */
export function nameOfUrn(urn: string): string {
  return urn.split("::")[3] ?? "resource";
}

export function specFor(urn: string): ResourceSpec {
  const token = typeOfUrn(urn);
  const spec = SPECS.get(token);
  if (!spec) {
    const known = [...SPECS.keys()].join(", ");
    throw new Error(`resource type "${token}" is not supported by the offline docker stand-in (it implements ${known})`);
  }
  return spec;
}
