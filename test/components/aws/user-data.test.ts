import { describe, expect, it } from "vitest";
import { shellQuote } from "../../../components/aws/shell";
import { instanceEnvironment, renderUserData, resolveEnvironment } from "../../../components/aws/user-data";
import { ClusterSpec } from "../../../components/keycloak/model";
import { SecretText } from "../../../components/shared/secret";

export const awsSpec: ClusterSpec = {
  environment: "dev",
  keycloak: {
    version: "26.7.3",
    image: "quay.io/keycloak/keycloak:26.7.3",
    optimizedImage: false,
    nodes: 2,
    sessionMode: "persistent",
    cacheMode: "ispn",
    discovery: "jdbc-ping",
    publicUrl: "https://sso.example.test",
    adminUsername: "admin",
    resources: {},
    logLevel: "info",
    dbPoolMaxSize: 20,
    clusterTls: true,
  },
  database: {
    mode: "managed",
    name: "keycloak",
    username: "keycloak",
    resources: {},
    storageGb: 20,
    maxConnections: 200,
    passwordRotation: 0,
    idleInTransactionSeconds: 10,
  },
  loadBalancer: { affinity: false },
  realm: { name: "chaos", clientId: "chaos-cli", redirectUri: "https://sso.example.test/cb", testUsers: 2 },
};

export const userDataInputs = {
  region: "eu-west-1",
  dbUrl: "jdbc:postgresql://db.internal:5432/keycloak",
  dbPasswordSecret: { arn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds-db", json: true },
  adminPasswordSecretArn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:admin",
  realmSecretArn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:realm",
  logGroup: "/keycloak-cluster/kc-dev",
  targetGroupArn: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/kc-nodes/0123456789abcdef",
};

describe("the nodes' user data", () => {
  const script = renderUserData(awsSpec, userDataInputs);

  it("starts the idle-transaction guard against the database with the RDS password before Keycloak; none for an external database", () => {
    const guard = script.indexOf("systemctl enable --now keycloak-idle-guard.service");
    expect(guard).toBeGreaterThan(0);
    expect(guard).toBeLessThan(script.indexOf("docker run -d --name keycloak"));
    expect(script).toContain("guard_password=$(secret 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds-db' | jq -r .password)");
    const external = renderUserData(
      {
        ...awsSpec,
        database: { mode: "external", jdbcUrl: "jdbc:postgresql://db.internal:5432/kc", username: "kc", password: new SecretText("p") },
      },
      userDataInputs,
    );
    expect(external).not.toContain("idle-guard");
  });

  it("reads the instance's identity through IMDSv2 (a session token first)", () => {
    expect(script).toContain("curl -sf -X PUT http://169.254.169.254/latest/api/token -H 'X-aws-ec2-metadata-token-ttl-seconds: 300'");
    expect(script).toContain('INSTANCE_ID="$(imds instance-id)"');
    expect(script).toContain('LOCAL_IPV4="$(imds local-ipv4)"');
    expect(script).toContain('ZONE="$(imds placement/availability-zone)"');
  });

  it("runs Keycloak with host networking, advertising the instance's private address, named after the instance, rack = zone", () => {
    expect(script).toContain("--network host");
    for (const line of [
      '"KC_CACHE_EMBEDDED_NETWORK_BIND_ADDRESS=${LOCAL_IPV4}"',
      '"KC_CACHE_EMBEDDED_NETWORK_EXTERNAL_ADDRESS=${LOCAL_IPV4}"',
      '"KC_SPI_CACHE_EMBEDDED__DEFAULT__NODE_NAME=${INSTANCE_ID}"',
      '"KC_SPI_CACHE_EMBEDDED__DEFAULT__MACHINE_NAME=${INSTANCE_ID}"',
      '"KC_SPI_CACHE_EMBEDDED__DEFAULT__RACK_NAME=${ZONE}"',
      "'KC_CACHE_STACK=jdbc-ping'",
      "'KC_DB_URL=jdbc:postgresql://db.internal:5432/keycloak'",
      "'KC_HOSTNAME=https://sso.example.test'",
    ]) {
      expect(script).toContain(line);
    }
  });

  it("reads the passwords and the realm from Secrets Manager at boot; none is in the script", () => {
    expect(script).toContain(`"KC_DB_PASSWORD=$(secret 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds-db' | jq -r .password)"`);
    expect(script).toContain(`"KC_BOOTSTRAP_ADMIN_PASSWORD=$(secret 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:admin')"`);
    expect(script).toContain(
      "secret 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:realm' >'/opt/keycloak-cluster/import/chaos-realm.json'",
    );
    expect(script).toContain("-v /opt/keycloak-cluster/import:/opt/keycloak/data/import:ro");
  });

  it("ships the container's logs to CloudWatch, one stream per instance", () => {
    expect(script).toContain(
      `--log-driver awslogs --log-opt awslogs-region='eu-west-1' --log-opt awslogs-group='/keycloak-cluster/kc-dev' --log-opt "awslogs-stream=\${INSTANCE_ID}"`,
    );
  });

  it("has exactly the settings of the shared Keycloak module, for each instance its own values", () => {
    const env = resolveEnvironment(instanceEnvironment(awsSpec, userDataInputs.dbUrl), {
      "instance-id": "i-0a",
      "local-ipv4": "10.20.128.7",
      "placement/availability-zone": "eu-west-1a",
    });
    expect(env).toMatchObject({
      KC_CACHE_EMBEDDED_NETWORK_EXTERNAL_ADDRESS: "10.20.128.7",
      KC_SPI_CACHE_EMBEDDED__DEFAULT__NODE_NAME: "i-0a",
      KC_SPI_CACHE_EMBEDDED__DEFAULT__RACK_NAME: "eu-west-1a",
    });
    for (const [name, value] of Object.entries(env).filter(([, v]) => !["i-0a", "10.20.128.7", "eu-west-1a"].includes(v))) {
      expect(script, name).toContain(shellQuote(`${name}=${value}`));
    }
  });

  it("quotes every literal exactly, even with quotes inside", () => {
    expect(shellQuote("it's")).toBe("'it'\\''s'");
  });
});

describe("the user data with a cache configuration file", () => {
  const content = '<infinispan>\n  <!-- it\'s "quoted" $HOME `x` -->\n</infinispan>\n';
  const spec: ClusterSpec = {
    ...awsSpec,
    keycloak: { ...awsSpec.keycloak, cacheConfig: { fileName: "fast.xml", content, stack: "fast" } },
  };
  const script = renderUserData(spec, userDataInputs);

  it("writes the file byte for byte (base64, so no quote or $ in it matters) and mounts it read-only into conf/", () => {
    const line = script.split("\n").find((l) => l.startsWith("base64 -d >'/opt/keycloak-cluster/conf/fast.xml' <<<"));
    expect(line).toBeDefined();
    const encoded = /<<<'([A-Za-z0-9+/=]+)'$/.exec(line ?? "")?.[1] ?? "";
    expect(Buffer.from(encoded, "base64").toString()).toBe(content);
    expect(script).toContain("  -v '/opt/keycloak-cluster/conf/fast.xml':'/opt/keycloak/conf/fast.xml':ro \\");
    expect(script).toContain("'KC_CACHE_CONFIG_FILE=fast.xml'");
    expect(script).toContain("'KC_CACHE_STACK=fast'");
  });

  it("without one, neither the file nor the mount", () => {
    expect(renderUserData(awsSpec, userDataInputs)).not.toContain("/opt/keycloak-cluster/conf");
  });
});
