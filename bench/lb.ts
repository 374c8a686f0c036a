/**
 * Benchmark: is the load balancer a bottleneck? One user logs in; a standard HTTP load tool
 * (Apache Bench, `ab -k`, keep-alive) sends the same userinfo request with that token through the
 * load balancer, then straight to each node, in the same run. Prints each rate and the ratio of
 * the load balancer's to the mean of the direct ones (the target: at least 0.9). Traffic goes only
 * to 127.0.0.1 (the stack's published ports).
 *   npm run bench:lb -- [--stack dev] [--requests 3000] [--concurrency 8]
 * Needs a deployed Docker stack (npm run up) and `ab` (Debian: apt-get install apache2-utils).
 */
import { execFileSync } from "node:child_process";
import { parseArgs } from "node:util";
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import { parseClusterOutputs, plainOutputs } from "../chaos/cluster-outputs";
import { Browser } from "../chaos/oidc/browser";
import { clientFor } from "../chaos/oidc/client";
import { openLoginPage, redeemCode, submitCredentials } from "../chaos/oidc/login";
import { lbRatio, parseAbRate } from "./lb-summary";

const { values } = parseArgs({
  options: {
    stack: { type: "string", default: "dev" },
    requests: { type: "string", default: "3000" },
    concurrency: { type: "string", default: "8" },
  },
});

function ab(url: string, token: string): number {
  const args = ["-k", "-q", "-c", values.concurrency, "-n", values.requests, "-H", `Authorization: Bearer ${token}`, url];
  const out = execFileSync("ab", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  return parseAbRate(out);
}

async function main() {
  try {
    execFileSync("sh", ["-c", "command -v ab"], { stdio: "ignore" });
  } catch {
    throw new Error("ab (Apache Bench) is not installed: apt-get install apache2-utils");
  }
  const stack = await LocalWorkspace.selectStack({ stackName: values.stack, workDir: `${__dirname}/..` });
  const outputs = parseClusterOutputs(plainOutputs(await stack.outputs()), `stack ${values.stack}`);
  if (outputs.driver.kind !== "docker") {
    throw new Error(`bench:lb measures a docker stack's published ports; ${values.stack} is ${outputs.driver.kind}`);
  }
  const config = await clientFor(outputs, outputs.loadBalancerUrl);
  const browser = new Browser(outputs.publicUrl, outputs.loadBalancerUrl);
  const login = await openLoginPage(browser, config, outputs.redirectUri);
  const user = outputs.testUsers[0];
  const tokens = await redeemCode(config, login, await submitCredentials(browser, login, user.username, user.password));
  const path = new URL(config.serverMetadata().userinfo_endpoint ?? "").pathname;
  const routes = [
    { name: "load balancer", url: outputs.loadBalancerUrl },
    ...outputs.driver.nodes.map((n) => ({ name: n.id, url: n.httpUrl })),
  ];
  // Once through every route first, so no route pays for a cold cache the others do not.
  for (const r of routes) {
    execFileSync("ab", ["-k", "-q", "-c", "2", "-n", "200", "-H", `Authorization: Bearer ${tokens.access_token}`, `${r.url}${path}`], {
      stdio: "ignore",
    });
  }
  const rates = routes.map((r) => ({ ...r, rate: ab(`${r.url}${path}`, tokens.access_token) }));
  console.log(`userinfo, one token, ab -k -c ${values.concurrency} -n ${values.requests} (same run):`);
  for (const r of rates) {
    console.log(`  ${r.name.padEnd(14)} ${r.rate.toFixed(0)} requests/s`);
  }
  const [lb, ...direct] = rates.map((r) => r.rate);
  console.log(`load balancer ÷ mean of the nodes: ${lbRatio(lb, direct).toFixed(2)} (target ≥ 0.9)`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(3);
});
