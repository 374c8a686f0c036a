/**
 * The cluster's generated secrets alone, under a component whose name comes from config, so the
 * real engine can be shown a rename (with or without the alias), protection, a refused
 * replacement and a rotation without a Keycloak in sight.
 */
import * as pulumi from "@pulumi/pulumi";
import { createClusterSecrets, GeneratedSecret } from "../../../../components/shared/generated-secret";

const config = new pulumi.Config();
const name = config.get("name") ?? "cluster";
const formerName = config.get("formerName");
const protect = config.getBoolean("protect") ?? false;

class Holder extends pulumi.ComponentResource {
  constructor(holderName: string, opts: pulumi.ComponentResourceOptions) {
    super("keycloak-cluster:test:SecretHolder", holderName, {}, opts);
  }
}

const holder = new Holder(name, formerName ? { aliases: [{ name: formerName }] } : {});
const secrets = createClusterSecrets(name, holder, { database: true, dbPasswordRotation: config.getNumber("rotation") ?? 0, protect });
const sized = new GeneratedSecret(
  `${name}-sized`,
  { length: config.getNumber("sizedLength") ?? 16, purpose: "the sized secret" },
  { parent: holder, protect },
);
const rotating = new GeneratedSecret(
  `${name}-rotating`,
  { length: 16, purpose: "the rotating secret", rotation: config.getNumber("rotation") ?? 0, rotateWith: "raise rotation" },
  { parent: holder, protect },
);

export const dbPassword = secrets.dbPassword;
export const adminPassword = secrets.adminPassword;
export const sizedValue = sized.value;
export const rotatingValue = rotating.value;
export const rotatingPrevious = rotating.previous;
