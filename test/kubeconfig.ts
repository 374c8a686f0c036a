/** A kubeconfig file for tests (an API server on 127.0.0.1 that nothing needs to reach under mocks). */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

export const TestToken = "test-token-that-must-stay-secret";
export const TestServer = "https://127.0.0.1:16443";

export function writeKubeconfig(server = TestServer, token = TestToken): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), "kubeconfig-")), "config");
  writeFileSync(
    file,
    [
      "apiVersion: v1",
      "kind: Config",
      "clusters:",
      "- name: local",
      "  cluster:",
      `    server: ${server}`,
      "    insecure-skip-tls-verify: true",
      "users:",
      "- name: admin",
      "  user:",
      `    token: ${token}`,
      "contexts:",
      "- name: local",
      "  context:",
      "    cluster: local",
      "    user: admin",
      "current-context: local",
      "",
    ].join("\n"),
  );
  return file;
}
