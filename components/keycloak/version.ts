/** A Keycloak version value object, so version strings are not scattered around. */
export class KeycloakVersion {
  /** The version this project pins and tests. Its server zip is on Maven Central. */
  static readonly pinned = new KeycloakVersion(26, 7, 3);

  private constructor(
    readonly major: number,
    readonly minor: number,
    readonly patch: number,
  ) {}

  /** Parses `26.7.3`; throws with a clear message on anything else. */
  static of(text: string): KeycloakVersion {
    const match = /^(\d+)\.(\d+)\.(\d+)$/.exec(text);
    if (!match) {
      throw new Error(`"${text}" is not a Keycloak version: use MAJOR.MINOR.PATCH, e.g. ${KeycloakVersion.pinned.toString()}`);
    }
    return new KeycloakVersion(Number(match[1]), Number(match[2]), Number(match[3]));
  }

  static isValid(text: string): boolean {
    return /^(\d+)\.(\d+)\.(\d+)$/.test(text);
  }

  atLeast(major: number, minor: number): boolean {
    return this.major > major || (this.major === major && this.minor >= minor);
  }

  /** The official image for this version. */
  officialImage(): string {
    return `quay.io/keycloak/keycloak:${this.toString()}`;
  }

  toString(): string {
    return `${this.major}.${this.minor}.${this.patch}`;
  }
}
