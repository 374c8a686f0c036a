// Entry point of the offline stand-in `pulumi-resource-docker` (started by bin/ through tsx).
// stdout belongs to the engine handshake (the gRPC port); messages go to stderr.

import { main } from "@pulumi/pulumi/provider";
import { makeProvider } from "./provider";

const provider = makeProvider();
process.stderr.write(
  `pulumi-resource-docker ${provider.version ?? ""}: keycloak-cluster's OFFLINE STAND-IN for the Docker provider ` +
    `(offline/provider; Network, Volume, RemoteImage, Container only; never pulls images)\n`,
);

main(provider, process.argv.slice(2)).catch((e: unknown) => {
  process.stderr.write(`offline docker stand-in failed to start: ${String(e)}\n`);
  process.exit(1);
});
