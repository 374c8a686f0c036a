/** Stand-in Keycloak management interfaces on 127.0.0.1, for the cluster gates' scripts. */
import { createServer, Server } from "node:http";
import { AddressInfo } from "node:net";
import { afterAll } from "vitest";

export interface Answers {
  started?: number;
  ready?: number;
  clusterSize?: number;
  /** Accept the connection and never answer. */
  hang?: boolean;
}

const servers: Server[] = [];
afterAll(() =>
  servers.forEach((s) => {
    s.closeAllConnections();
    s.close();
  }),
);

/** A management port answering as told (the answers may change while it runs); its host:port. */
export async function management(answers: Answers): Promise<string> {
  const server = createServer((req, res) => {
    if (answers.hang) {
      return;
    }
    const status = req.url === "/health/started" ? answers.started : req.url === "/health/ready" ? answers.ready : undefined;
    if (req.url === "/metrics" && answers.clusterSize !== undefined) {
      res.end(
        `# HELP vendor_cluster_size Cluster size\n# TYPE vendor_cluster_size gauge\n` +
          `vendor_cluster_size{cache="keycloak"} ${answers.clusterSize}.0\nvendor_jgroups_x 7.0\n`,
      );
      return;
    }
    res.writeHead(status ?? 404).end();
  });
  servers.push(server);
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A port nothing listens on. */
export async function closedPort(): Promise<string> {
  const server = createServer();
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  await new Promise((ok) => server.close(ok));
  return address;
}
