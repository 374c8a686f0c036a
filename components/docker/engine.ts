/** The Docker engine a stack deploys to, as dockerode reaches it (the chaos driver and the role password share it). */
import type Docker from "dockerode";

/** dockerode options for an engine address (`docker:host`); undefined: DOCKER_HOST or the local socket. */
export function engineOptions(host: string | undefined): Docker.DockerOptions | undefined {
  if (!host) {
    return undefined;
  }
  const url = new URL(host);
  switch (url.protocol) {
    case "unix:":
      return { socketPath: url.pathname };
    case "tcp:":
    case "http:":
      return { protocol: "http", host: url.hostname, port: Number(url.port || 2375) };
    case "https:":
      return { protocol: "https", host: url.hostname, port: Number(url.port || 2376) };
    case "ssh:":
      return { protocol: "ssh", host: url.hostname, port: Number(url.port || 22), username: url.username || undefined };
    default:
      throw new Error(`docker engine address ${host} is not unix://, tcp://, https:// or ssh://`);
  }
}
