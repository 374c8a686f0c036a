import path from "node:path";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../../stacks/load";
import { TargetContext } from "../../stacks/targets/target";
import { dockerModelOf, problemsOf } from "./parse";

const context: TargetContext = { stack: "dev", provider: {} };

const problems = (values: Record<string, unknown>, ctx = context) => problemsOf(values, ctx);
const dockerModel = (values: Record<string, unknown>, ctx = context) => dockerModelOf(values, ctx);

describe("keycloak.cacheConfigFile", () => {
  const xml =
    '<infinispan><jgroups><stack name="fast" extends="tcp"/></jgroups><cache-container name="keycloak"><transport stack="fast"/></cache-container></infinispan>';
  const files: Record<string, string> = { "cache/fast.xml": xml, "cache/broken.xml": "<infinispan>" };
  const withFiles: TargetContext = {
    ...context,
    readFile: (p) => {
      const content = files[p];
      if (content === undefined) {
        throw new Error(`ENOENT: no such file ${p}`);
      }
      return content;
    },
  };

  it("puts the file, its name and its transport stack in the model", () => {
    expect(dockerModel({ keycloak: { cacheConfigFile: "cache/fast.xml" } }, withFiles).spec.keycloak.cacheConfig).toEqual({
      fileName: "fast.xml",
      content: xml,
      stack: "fast",
    });
    expect(dockerModel({}, withFiles).spec.keycloak).not.toHaveProperty("cacheConfig");
  });

  it("refuses a path outside the project's folder, a non-XML name, a missing file and a broken one, each naming the key", () => {
    for (const [file, message] of [
      [
        "/etc/cache.xml",
        "must be a path inside the project's folder, such as stacks/cache/fast-failure-detection.xml (got /etc/cache.xml)",
      ],
      ["../cache.xml", "must be a path inside the project's folder, such as stacks/cache/fast-failure-detection.xml (got ../cache.xml)"],
      ["cache/fast.txt", "must name an .xml file of letters, digits, '.', '_' or '-' (got fast.txt)"],
      [
        "cache/none.xml",
        "cannot be read (ENOENT: no such file cache/none.xml): give its path from the project's folder (where Pulumi.yaml is)",
      ],
    ]) {
      expect(problems({ keycloak: { cacheConfigFile: file } }, withFiles)).toEqual([`keycloak.cacheConfigFile: ${message}`]);
    }
    expect(problems({ keycloak: { cacheConfigFile: "cache/broken.xml" } }, withFiles)).toEqual([
      expect.stringMatching(/^keycloak\.cacheConfigFile: cache\/broken\.xml is not well-formed XML: /),
    ]);
  });

  it("refuses it with a local cache, along with the other problems of the stack", () => {
    expect(
      problems({ keycloak: { cacheConfigFile: "cache/fast.xml", cacheMode: "local", acknowledgeLocalCache: true, nodes: 0 } }, withFiles),
    ).toEqual([
      "keycloak.nodes: must be a whole number from 1 to 32",
      'keycloak.cacheConfigFile: applies only to keycloak.cacheMode "ispn" (a local cache has no cluster transport): remove it',
    ]);
  });
});

describe("the project's folder, where files the configuration names are read from", () => {
  it("is the nearest folder up with Pulumi.yaml, from wherever the program runs", () => {
    const root = path.resolve(__dirname, "../..");
    expect(projectRoot(path.join(root, "stacks", "cache"))).toBe(root);
    expect(projectRoot(root)).toBe(root);
    expect(projectRoot("/")).toBe(process.cwd());
  });
});
