/** The tag of the locally built Keycloak image for a session mode (offline/images.sh builds it). */
export function localKeycloakImage(version: string, sessionMode: string): string {
  return `keycloak-cluster/keycloak:${version}-${sessionMode}`;
}
