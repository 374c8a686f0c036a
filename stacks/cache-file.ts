/** keycloak.cacheConfigFile: the user's own cache configuration, read from the project's folder and checked. */
import { readFileSync } from "node:fs";
import path from "node:path";
import { CacheConfig, inspectCacheConfig } from "../components/keycloak/cache-config";
import { TargetContext } from "./targets/target";

export const CacheConfigKey = "keycloak.cacheConfigFile";

const FileName = /^[A-Za-z0-9][A-Za-z0-9._-]*\.xml$/;

/** The file as the nodes get it, or every problem with it (each with how to fix it). */
export function loadCacheConfig(
  file: string,
  context: TargetContext,
): { readonly config?: CacheConfig; readonly problems: readonly string[] } {
  const normalized = path.posix.normalize(file.replace(/\\/g, "/"));
  if (path.isAbsolute(file) || normalized.startsWith("../") || normalized === "..") {
    return { problems: [`must be a path inside the project's folder, such as stacks/cache/fast-failure-detection.xml (got ${file})`] };
  }
  const fileName = path.posix.basename(normalized);
  if (!FileName.test(fileName)) {
    return { problems: [`must name an .xml file of letters, digits, '.', '_' or '-' (got ${fileName})`] };
  }
  let content: string;
  try {
    content = (context.readFile ?? ((p: string) => readFileSync(p, "utf8")))(normalized);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return { problems: [`cannot be read (${why}): give its path from the project's folder (where Pulumi.yaml is)`] };
  }
  const found = inspectCacheConfig(content);
  if (found.problems.length) {
    return { problems: found.problems.map((p) => `${normalized} ${p}`) };
  }
  return { config: { fileName, content, ...(found.stack === undefined ? {} : { stack: found.stack }) }, problems: [] };
}
