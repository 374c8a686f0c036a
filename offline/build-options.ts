/**
 * Prints what an image needs for a session mode, from the one module that owns Keycloak's
 * settings, so the local images are built for exactly the options the stacks use:
 *   tsx offline/build-options.ts <persistent|volatile> [version]
 *   → line 1: image tag, line 2: `kc.sh build` options
 */
import { ClusterSpec, SessionMode } from "../components/keycloak/model";
import { buildArgs } from "../components/keycloak/settings";
import { KeycloakVersion } from "../components/keycloak/version";
import { localKeycloakImage } from "./local-image";

const [mode, versionText] = process.argv.slice(2);
const modes = Object.values(SessionMode) as string[];
if (!mode || !modes.includes(mode)) {
  console.error(`usage: tsx offline/build-options.ts <${modes.join("|")}> [version]`);
  process.exit(2);
}
const version = versionText ? KeycloakVersion.of(versionText) : KeycloakVersion.pinned;
// Only the session mode reaches the build options; the rest of the spec is irrelevant here.
const spec = { keycloak: { sessionMode: mode } } as unknown as ClusterSpec;
console.log(localKeycloakImage(version.toString(), mode));
console.log(buildArgs(spec).join(" "));
