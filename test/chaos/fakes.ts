/** A simulated cluster for runner tests: fake driver and probes over the same node states. */
import { ClusterOutputs, NodeEndpoint } from "../../components/shared/outputs";
import { NodeDriver, RuntimeState } from "../../chaos/drivers/driver";
import { ChaosEvent, CheckName, EventSink, FaultKind } from "../../chaos/events";
import { NodeHealth } from "../../chaos/probes/cluster";
import { CheckResult, ClusterProbes, RoundFixtures, SessionCounts, Traffic } from "../../chaos/probes/probes";

export function fakeOutputs(nodes = 3, overrides: Partial<ClusterOutputs> = {}): ClusterOutputs {
  return {
    schemaVersion: 1, target: "docker", environment: "dev", sessionMode: "persistent", cacheMode: "ispn", clusterSize: nodes,
    publicUrl: "http://127.0.0.1:8080", issuerUrl: "http://127.0.0.1:8080/realms/chaos", realm: "chaos", clientId: "chaos-cli",
    clientSecret: "s", redirectUri: "http://127.0.0.1:8080/cb", testUsers: [{ username: "user-1", password: "p" }], adminUsername: "admin", adminPassword: "a",
    nodes: Array.from({ length: nodes }, (_, i) => ({
      id: `kc-${i}`, nodeName: `kc-${i}`, driver: { kind: "docker" as const, container: `kc-${i}` },
      httpUrl: `http://127.0.0.1:${18080 + i}`, managementUrl: `http://127.0.0.1:${19000 + i}`,
    })),
    loadBalancer: { url: "http://127.0.0.1:8080" },
    ...overrides,
  };
}

export interface FakeCluster {
  readonly states: Map<string, RuntimeState>;
  /** Cluster size every running node reports (default: the number of running nodes). */
  reportedSize?: (node: string) => number;
  /** Throw from inject/restore/check to simulate failures. */
  failures: { inject?: string; restore?: string; check?: CheckName };
  /** A driver that "injects" without effect. */
  noopInject: boolean;
  readonly calls: string[];
}

export function fakeCluster(outputs: ClusterOutputs): FakeCluster {
  return { states: new Map(outputs.nodes.map((n) => [n.id, "running"])), failures: {}, noopInject: false, calls: [] };
}

export class FakeDriver implements NodeDriver {
  readonly kind = "docker";
  constructor(private readonly cluster: FakeCluster) {}
  async inject(node: NodeEndpoint, fault: FaultKind) {
    this.cluster.calls.push(`inject ${fault} ${node.id}`);
    if (this.cluster.failures.inject === node.id) {
      throw new Error(`inject failed on ${node.id}`);
    }
    if (!this.cluster.noopInject) {
      this.cluster.states.set(node.id, fault === "pause" ? "paused" : "stopped");
    }
  }
  async restore(node: NodeEndpoint) {
    this.cluster.calls.push(`restore ${node.id}`);
    if (this.cluster.failures.restore === node.id) {
      throw new Error(`restore failed on ${node.id}`);
    }
    this.cluster.states.set(node.id, "running");
  }
  async state(node: NodeEndpoint) {
    return this.cluster.states.get(node.id) ?? "missing";
  }
}

/**
 * Sessions live on their home node plus the next one (2 owners); `persistent` keeps them in
 * the database too. A session is lost when every owner is down at once (volatile only).
 */
export class FakeProbes implements ClusterProbes {
  private sessions: { id: string; home: number }[] = [];
  readonly lostForever = new Set<string>();

  constructor(
    private readonly outputs: ClusterOutputs,
    private readonly cluster: FakeCluster,
    private readonly persistent = true,
  ) {}

  private running(id: string) {
    return this.cluster.states.get(id) === "running";
  }

  async health(nodeId: string): Promise<NodeHealth> {
    if (!this.running(nodeId)) {
      return { ready: false };
    }
    const size = this.cluster.reportedSize?.(nodeId) ?? [...this.cluster.states.values()].filter((s) => s === "running").length;
    return { ready: true, clusterSize: size };
  }

  async loginProblem() {
    return undefined;
  }

  async createSessions(count: number, nodeIds: readonly string[]): Promise<SessionCounts> {
    this.sessions = Array.from({ length: count }, (_, i) => ({ id: `s${i}`, home: i % nodeIds.length }));
    const perNode = Object.fromEntries(nodeIds.map((id, i) => [id, this.sessions.filter((s) => s.home === i).length]));
    return { perNode, loggedIn: count };
  }

  async prepareRound(nodeIds: readonly string[], perNode: number): Promise<RoundFixtures> {
    return { inProgress: nodeIds.length * perNode, codes: nodeIds.length * perNode, logouts: nodeIds.length };
  }

  sessionsOn(nodeId: string) {
    const index = this.outputs.nodes.findIndex((n) => n.id === nodeId);
    return this.sessions.filter((s) => s.home === index).map((s) => s.id);
  }

  async check(check: CheckName, route: string): Promise<CheckResult> {
    if (this.cluster.failures.check === check) {
      throw new Error(`probe ${check} crashed`);
    }
    const n = this.outputs.nodes.length;
    if (!this.persistent) {
      for (const s of this.sessions) {
        const owners = [s.home, (s.home + 1) % n].map((i) => this.outputs.nodes[i].id);
        if (owners.every((o) => !this.running(o))) {
          this.lostForever.add(s.id);
        }
      }
    }
    const sessionChecks: CheckName[] = ["userinfo", "refresh", "sso-cookie"];
    const failed = sessionChecks.includes(check) ? this.sessions.filter((s) => this.lostForever.has(s.id)).map((s) => s.id) : [];
    const total = sessionChecks.includes(check) ? this.sessions.length : 2;
    return {
      check, node: route, passed: total - failed.length, total, durationMs: 1,
      failures: failed.map((subject) => ({ subject, detail: "userinfo answered 401" })), failedSubjects: failed,
    };
  }

  startTraffic(): Traffic {
    return { stop: async () => ({ requests: 10, errors: 0, latencyMs: { p50: 1, p95: 2, max: 3 } }) };
  }
}

export class Recorder implements EventSink {
  readonly events: ChaosEvent[] = [];
  emit(event: ChaosEvent) {
    this.events.push(event);
  }
  of<T extends ChaosEvent["type"]>(type: T): Extract<ChaosEvent, { type: T }>[] {
    return this.events.filter((e): e is Extract<ChaosEvent, { type: T }> => e.type === type);
  }
}
