/** fetchVia: the connection goes to the load balancer's name, the request stays the public URL's. */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { createServer, IncomingHttpHeaders } from "node:http";
import { createServer as createTlsServer } from "node:https";
import { AddressInfo } from "node:net";
import { createSecureContext } from "node:tls";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { fetchVia } from "../../../components/shared/connect-to";

describe("fetchVia", () => {
  it("connects to the given host for the public name only; the Host header stays the public one", async () => {
    const seen: { url?: string; headers: IncomingHttpHeaders }[] = [];
    const server = createServer((req, res) => {
      seen.push({ url: req.url, headers: req.headers });
      res.end("ok");
    });
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
    const port = (server.address() as AddressInfo).port;
    try {
      const via = fetchVia(`http://sso.example.test:${port}/`, "127.0.0.1");
      const response = await via(`http://sso.example.test:${port}/realms/master`, { method: "GET" });
      expect([response.status, await response.text()]).toEqual([200, "ok"]);
      // Any other name resolves as it would anyway.
      await (await via(`http://localhost:${port}/other`)).text();
      expect(seen.map((s) => [s.url, s.headers.host])).toEqual([
        ["/realms/master", `sso.example.test:${port}`],
        ["/other", `localhost:${port}`],
      ]);
    } finally {
      server.close();
    }
  });

  it("speaks TLS for the public name: its server name, and its certificate is checked", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "connect-to-"));
    const [key, cert] = [path.join(dir, "key.pem"), path.join(dir, "cert.pem")];
    execFileSync(
      "openssl",
      ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=sso.example.test", "-keyout", key, "-out", cert],
      { stdio: "ignore" },
    );
    const credentials = { key: readFileSync(key), cert: readFileSync(cert) };
    const names: string[] = [];
    const server = createTlsServer(
      {
        ...credentials,
        SNICallback: (servername, done) => {
          names.push(servername);
          done(null, createSecureContext(credentials));
        },
      },
      (_req, res) => res.end("ok"),
    );
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
    const port = (server.address() as AddressInfo).port;
    try {
      const via = fetchVia(`https://sso.example.test:${port}/`, "127.0.0.1");
      const outcome = await via(`https://sso.example.test:${port}/`).then(
        () => "accepted",
        (error: Error) => String((error.cause as Error | undefined)?.message ?? error.message),
      );
      // The certificate is self-signed: the client checked it, and refused it.
      expect(outcome).toMatch(/self-signed certificate/);
      expect(names).toEqual(["sso.example.test"]);
    } finally {
      server.close();
    }
  });
});
