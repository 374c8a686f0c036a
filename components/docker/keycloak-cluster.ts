import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { CacheMode, ClusterSpec, DatabaseMode } from "../keycloak/model";
import { issuerUrl, ReadinessCheck, RetryAfterSeconds } from "../keycloak/settings";
import { KeycloakClusterComponent } from "../shared/cluster";
import { ClusterGate, gateNode } from "../shared/cluster-gate";
import { RealmSync, syncedUsers } from "../shared/realm-sync";
import { RolePassword } from "./role-password";
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
  guardArgs,
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
    };
    // One node at a time, on the first `up` and on every change that replaces nodes: node i+1 is
    // created (or deleted and recreated: the names are fixed) only after node i is healthy and
    // every running node reports one cluster of all of them (ClusterGate). On an empty database
    // this also keeps nodes from racing in the schema migration; on a change, the nodes not yet
    // replaced keep serving and keep the sessions' other copy.
    const gateNodes = Array.from({ length: spec.keycloak.nodes }, (_, i) => gateNode(`kc-${i}`, nodeUrls(target, i).managementUrl));
    const nodes: docker.Container[] = [];
    const gates: ClusterGate[] = [];
    let previous: pulumi.Resource | undefined = db;
    for (let i = 0; i < spec.keycloak.nodes; i++) {
      const node = new docker.Container(`${name}-kc-${i}`, keycloakNodeArgs(spec, target, i, nodeInputs), {
        ...child,
        dependsOn: previous ? [previous] : [],
        deleteBeforeReplace: true,
      });
      const gate = new ClusterGate(
        `${name}-kc-${i}-joined`,
        {
          index: i,
          generation: node.id,
          nodes: gateNodes,
          clustered: spec.keycloak.cacheMode !== CacheMode.Local,
          timeoutSeconds: target.readyTimeoutSeconds,
        },
        { ...child, dependsOn: [node] },
      );
      nodes.push(node);
      gates.push(gate);
      previous = gate;
    }
    const first = nodes[0];

    const lb = new docker.Container(
      `${name}-lb`,
      loadBalancerArgs(spec, target, { image: image("lb", target.loadBalancerImage), network: network.name }),
      {
        ...child,
        dependsOn: [first],
      },
    );
    // The realm through the load balancer, once node 0 is in the cluster: created on the first
    // `up`, then kept in step with the configuration; a realm change touches no node.
    const realm = new RealmSync(
      `${name}-realm`,
      {
        baseUrl: loadBalancerUrl(target),
        adminUsername: spec.keycloak.adminUsername,
        adminPassword: secrets.adminPassword,
        realmJson: secrets.realmJson,
        timeoutSeconds: target.readyTimeoutSeconds,
      },
      { ...child, dependsOn: [lb, gates[0]] },
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
      testUsers: syncedUsers(realm, secrets.testUsers),
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
  ): RolePassword {
    const names = dockerNames(target.namePrefix);
    const volume = new docker.Volume(
      `${name}-pgdata`,
      { name: names.dbVolume, labels: labels(target.namePrefix, "database") },
      { parent: this },
    );
    const db = new docker.Container(
      `${name}-db`,
      postgresArgs(database, target, { image, network: network.name, volume: volume.name, password }),
      // The environment is read only when the data directory is first initialized; a later
      // password (a rotation) reaches PostgreSQL through RolePassword, with no restart.
      { parent: this, ignoreChanges: ["envs"] },
    );
    // Before any node gets a new password, PostgreSQL's role has it.
    const role = new RolePassword(
      `${name}-db-role`,
      {
        ...(target.host ? { host: target.host } : {}),
        container: db.name,
        containerId: db.id,
        username: database.username,
        database: database.name,
        password,
      },
      { parent: this, dependsOn: [db] },
    );
    const guard = guardArgs(database, target, { image, network: network.name, password });
    if (guard) {
      new docker.Container(`${name}-db-guard`, guard, { parent: this, dependsOn: [role] });
    }
    return role;
  }
}
