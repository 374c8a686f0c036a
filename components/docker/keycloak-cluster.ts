import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { ClusterSpec, DatabaseMode } from "../keycloak/model";
import { issuerUrl, ReadinessCheck, RetryAfterSeconds } from "../keycloak/settings";
import { KeycloakClusterComponent } from "../shared/cluster";
import { clusterSecrets } from "../shared/cluster-secrets";
import { DriverHandle } from "../shared/outputs";
import {
  DockerTargetSpec,
  dockerNames,
  keycloakNodeArgs,
  labels,
  loadBalancerArgs,
  loadBalancerUrl,
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
 * A Keycloak cluster on one Docker host: a private network, PostgreSQL with a named volume (or
 * an external database), N Keycloak nodes clustered over jdbc-ping, and HAProxy in front. The
 * docker provider comes in through `opts.providers` (or the default provider).
 */
export class DockerKeycloakCluster extends KeycloakClusterComponent {
  constructor(name: string, args: DockerKeycloakClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("keycloak:docker:KeycloakCluster", name, {}, opts);
    const { spec, docker: target } = args;
    const names = dockerNames(target.namePrefix);
    const child = { parent: this };
    const secrets = clusterSecrets(name, spec, this);

    const network = new docker.Network(
      `${name}-net`,
      { name: names.network, driver: "bridge", labels: labels(target.namePrefix, "network") },
      child,
    );
    const image = (role: string, ref: string) =>
      new docker.RemoteImage(`${name}-${role}-image`, { name: ref, keepLocally: true }, child).imageId;

    const db =
      spec.database.mode === DatabaseMode.Managed
        ? this.database(name, spec.database, target, network, image("db", target.databaseImage), secrets.dbPassword)
        : undefined;

    const nodeInputs = {
      image: image("keycloak", spec.keycloak.image),
      network: network.name,
      dbPassword: secrets.dbPassword,
      adminPassword: secrets.adminPassword,
      realmJson: secrets.realmJson,
    };
    // On an empty database, nodes started together can crash in the schema migration: the
    // first node starts alone and the others wait until it is healthy.
    const first = new docker.Container(`${name}-kc-0`, keycloakNodeArgs(spec, target, 0, nodeInputs), {
      ...child,
      dependsOn: db ? [db] : [],
    });
    const others = Array.from(
      { length: spec.keycloak.nodes - 1 },
      (_, i) =>
        new docker.Container(`${name}-kc-${i + 1}`, keycloakNodeArgs(spec, target, i + 1, nodeInputs), { ...child, dependsOn: [first] }),
    );
    const nodes = [first, ...others];

    new docker.Container(
      `${name}-lb`,
      loadBalancerArgs(spec, target, { image: image("lb", target.loadBalancerImage), network: network.name }),
      {
        ...child,
        dependsOn: [first],
      },
    );

    this.expose({
      clusterId: pulumi.output(`docker/${target.namePrefix}`),
      issuerUrl: pulumi.output(issuerUrl(spec.keycloak.publicUrl, spec.realm.name)),
      loadBalancerUrl: pulumi.output(loadBalancerUrl(target)),
      driver: pulumi.all(nodes.map((c) => c.name)).apply((containers): DriverHandle => ({
        kind: "docker",
        ...(target.host ? { host: target.host } : {}),
        nodes: containers.map((container, index) => ({
          id: `kc-${index}`,
          nodeName: names.node(index),
          container,
          ...nodeUrls(target, index),
        })),
      })),
      clientSecret: secrets.clientSecret,
      adminPassword: secrets.adminPassword,
      testUsers: secrets.testUsers,
      loadBalancerTiming: { healthCheck: ReadinessCheck, safeRetryAfterSeconds: RetryAfterSeconds },
    });
  }

  private database(
    name: string,
    database: Extract<ClusterSpec["database"], { mode: "managed" }>,
    target: DockerTargetSpec,
    network: docker.Network,
    image: pulumi.Output<string>,
    password: pulumi.Output<string>,
  ): docker.Container {
    const names = dockerNames(target.namePrefix);
    const volume = new docker.Volume(
      `${name}-pgdata`,
      { name: names.dbVolume, labels: labels(target.namePrefix, "database") },
      { parent: this },
    );
    return new docker.Container(
      `${name}-db`,
      postgresArgs(database, target, { image, network: network.name, volume: volume.name, password }),
      { parent: this },
    );
  }
}
