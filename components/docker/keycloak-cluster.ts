import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { ClusterSpec } from "../keycloak/model";
import { deriveTestUsers, realmImport, TestUser } from "../keycloak/realm";
import { issuerUrl } from "../keycloak/settings";
import { createClusterSecrets } from "../shared/generated-secret";
import { NodeEndpoint } from "../shared/outputs";
import {
  DockerTargetSpec,
  dockerNames,
  hostAddress,
  keycloakNodeArgs,
  labels,
  loadBalancerArgs,
  nodeUrls,
  postgresArgs,
} from "./containers";

export interface DockerKeycloakClusterArgs {
  /** The validated cluster model. */
  readonly spec: ClusterSpec;
  /** Docker-specific settings. */
  readonly docker: DockerTargetSpec;
}

/**
 * A Keycloak cluster on one Docker host: a private network, PostgreSQL with a named volume,
 * N Keycloak nodes clustered over jdbc-ping, and HAProxy in front. The docker provider comes
 * in through `opts.providers` (or the default provider).
 */
export class DockerKeycloakCluster extends pulumi.ComponentResource {
  public readonly issuerUrl: pulumi.Output<string>;
  public readonly publicUrl: pulumi.Output<string>;
  public readonly nodes: pulumi.Output<NodeEndpoint[]>;
  public readonly loadBalancerUrl: pulumi.Output<string>;
  public readonly loadBalancerContainer: pulumi.Output<string>;
  public readonly clientSecret: pulumi.Output<string>;
  public readonly adminPassword: pulumi.Output<string>;
  public readonly testUsers: pulumi.Output<TestUser[]>;

  constructor(name: string, args: DockerKeycloakClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("keycloak:docker:KeycloakCluster", name, {}, opts);
    const { spec, docker: target } = args;
    const names = dockerNames(target.namePrefix);
    const child = { parent: this };
    const secrets = createClusterSecrets(name, this);

    const network = new docker.Network(`${name}-net`, {
      name: names.network,
      driver: "bridge",
      labels: labels(target.namePrefix, "network"),
    }, child);
    const volume = new docker.Volume(`${name}-pgdata`, {
      name: names.dbVolume,
      labels: labels(target.namePrefix, "database"),
    }, child);
    const image = (role: string, ref: string) =>
      new docker.RemoteImage(`${name}-${role}-image`, { name: ref, keepLocally: true }, child).imageId;

    const db = new docker.Container(`${name}-db`, postgresArgs(spec, target, {
      image: image("db", spec.database.image),
      network: network.name,
      volume: volume.name,
      password: secrets.dbPassword,
    }), child);

    const testUsers = pulumi.secret(secrets.testUserSeed.apply((seed) => deriveTestUsers(seed, spec.realm.testUsers)));
    const realmJson = pulumi.secret(
      pulumi.all([secrets.clientSecret, testUsers]).apply(([clientSecret, users]) =>
        JSON.stringify(realmImport(spec.realm, { clientSecret, users }), null, 2),
      ),
    );
    const keycloakImage = image("keycloak", spec.keycloak.image);
    const nodeInputs = {
      image: keycloakImage,
      network: network.name,
      dbPassword: secrets.dbPassword,
      adminPassword: secrets.adminPassword,
      realmJson,
    };
    // On an empty database, nodes started together can crash in the schema migration: the
    // first node starts alone and the others wait until it is healthy.
    const first = new docker.Container(`${name}-kc-0`, keycloakNodeArgs(spec, target, 0, nodeInputs), {
      ...child,
      dependsOn: [db],
    });
    const others = Array.from({ length: spec.keycloak.nodes - 1 }, (_, i) =>
      new docker.Container(`${name}-kc-${i + 1}`, keycloakNodeArgs(spec, target, i + 1, nodeInputs), {
        ...child,
        dependsOn: [first],
      }),
    );
    const nodeContainers = [first, ...others];

    const lb = new docker.Container(`${name}-lb`, loadBalancerArgs(spec, target, {
      image: image("lb", spec.loadBalancer.image),
      network: network.name,
    }), { ...child, dependsOn: [first] });

    this.publicUrl = pulumi.output(spec.keycloak.publicUrl);
    this.issuerUrl = pulumi.output(issuerUrl(spec.keycloak.publicUrl, spec.realm.name));
    this.nodes = pulumi.all(nodeContainers.map((c) => c.name)).apply((containerNames) =>
      containerNames.map((container, index) => ({
        id: `kc-${index}`,
        nodeName: names.node(index),
        driver: { kind: "docker" as const, container },
        ...nodeUrls(target, index),
      })),
    );
    this.loadBalancerUrl = pulumi.output(`http://${hostAddress(target)}:${target.loadBalancerPort}`);
    this.loadBalancerContainer = lb.name;
    this.clientSecret = secrets.clientSecret;
    this.adminPassword = secrets.adminPassword;
    this.testUsers = testUsers;

    this.registerOutputs({
      issuerUrl: this.issuerUrl,
      nodes: this.nodes,
      loadBalancerUrl: this.loadBalancerUrl,
    });
  }
}
