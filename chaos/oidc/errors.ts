/** What an OAuth/OIDC failure looked like on the wire, in a few words for the report. */
import * as client from "openid-client";
import { describeError } from "../pool";

/** "answered 401 (invalid_token)", "answered 400 (invalid_grant: Session not active)", or the error's message. */
export function oauthDetail(error: unknown): string {
  if (error instanceof client.ResponseBodyError) {
    return `answered ${error.status} (${error.error}${error.error_description ? `: ${error.error_description}` : ""})`;
  }
  if (error instanceof client.WWWAuthenticateChallengeError) {
    const code = error.cause.map((c) => c.parameters.error).find((e) => e !== undefined);
    return `answered ${error.status}${code ? ` (${code})` : ""}`;
  }
  if (error instanceof client.AuthorizationResponseError) {
    return `redirected with error=${error.error}${error.error_description ? ` (${error.error_description})` : ""}`;
  }
  return describeError(error);
}

/** The HTTP status of an OAuth error answer, if it was one. */
export function oauthStatus(error: unknown): number | undefined {
  return error instanceof client.ResponseBodyError || error instanceof client.WWWAuthenticateChallengeError ? error.status : undefined;
}
