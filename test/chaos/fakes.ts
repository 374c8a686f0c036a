/** A simulated cluster for runner and CLI tests: a fake driver and fake probes over the same node states. */
import { ClusterOutputs } from "../../components/shared/outputs";
import { FaultTarget, LiveNode, NodeDriver, Observation } from "../../chaos/drivers/driver";
import { ChaosEvent, CheckName, EventSink, FaultKind } from "../../chaos/events";
import { NodeHealth } from "../../chaos/probes/cluster";
import { CheckResult, ClusterProbes, RoundFixtures, SessionCounts, Traffic, TrafficStats } from "../../chaos/probes/probes";

export function fakeOutputs(nodes = 3, overrides: Partial<ClusterOutputs> = {}): ClusterOutputs {
  return {
    schemaVersion: 2,
    clusterId: "docker/kc-test",
    target: "docker",
    environment: "dev",
    sessionMode: "persistent",
    cacheMode: "ispn",
    clusterSize: nodes,
    publicUrl: "http://127.0.0.1:8080",
    issuerUrl: "http://127.0.0.1:8080/realms/chaos",
    realm: "chaos",
    clientId: "chaos-cli",
    clientSecret: "s",
    redirectUri: "http://127.0.0.1:8080/cb",
    testUsers: [{ username: "user-1", password: "p" }],
    adminUsername: "admin",
    adminPassword: "a",
    loadBalancerUrl: "http://127.0.0.1:8080",
    driver: {
      kind: "docker",
      nodes: Array.from({ length: nodes }, (_, i) => ({
        id: `kc-${i}`,
        nodeName: `kc-${i}`,
        container: `kc-${i}`,
        httpUrl: `http://127.0.0.1:${18080 + i}`,
        managementUrl: `http://127.0.0.1:${19000 + i}`,
      })),
    },
    ...overrides,
  };
}

export type FakeState = "running" | "stopped" | "paused" | "missing";

export interface FakeCluster {
  readonly states: Map<string, FakeState>;
  /** Cluster size every running node reports (default: the number of running nodes). */
  reportedSize?: (node: string) => number;
  /** Throw from inject/restore/check to simulate failures. */
  failures: { inject?: string; restore?: string; check?: CheckName };
  /** A driver that "injects" without effect. */
  noopInject: boolean;
  /** Called when a fault is injected, before it takes effect (tests look at the world then). */
  onInject?: (target: FaultTarget) => Promise<void> | void;
  /** Called when a node is restored. */
  onRestore?: (target: FaultTarget) => Promise<void> | void;
  readonly calls: string[];
}

export function fakeCluster(outputs: ClusterOutputs): FakeCluster {
  const ids = outputs.driver.kind === "docker" ? outputs.driver.nodes.map((n) => n.id) : [];
  return { states: new Map(ids.map((id) => [id, "running"])), failures: {}, noopInject: false, calls: [] };
}

export class FakeDriver implements NodeDriver {
  readonly kind = "docker";
  readonly faults = [FaultKind.Kill, FaultKind.Stop, FaultKind.Pause] as const;

  constructor(
    private readonly cluster: FakeCluster,
    private readonly outputs: ClusterOutputs = fakeOutputs(cluster.states.size),
  ) {}

  async nodes(): Promise<LiveNode[]> {
    return this.outputs.driver.kind === "docker"
      ? this.outputs.driver.nodes.map(({ id, nodeName, httpUrl, managementUrl }) => ({ id, nodeName, httpUrl, managementUrl }))
      : [];
  }

  async prepare(node: LiveNode, fault: FaultKind): Promise<FaultTarget> {
    return { node: node.id, fault, ref: { container: node.id } };
  }

  async inject(target: FaultTarget) {
    this.cluster.calls.push(`inject ${target.fault} ${target.node}`);
    await this.cluster.onInject?.(target);
    if (this.cluster.failures.inject === target.node) {
      throw new Error(`inject failed on ${target.node}`);
    }
    if (!this.cluster.noopInject) {
      this.cluster.states.set(target.node, target.fault === "pause" ? "paused" : "stopped");
    }
  }

  async observe(target: FaultTarget): Promise<Observation> {
    const state = this.cluster.states.get(target.node);
    const want = target.fault === "pause" ? "paused" : "stopped";
    return { happened: state === want, detail: `container ${target.node} is ${state}` };
  }

  async restore(target: FaultTarget) {
    this.cluster.calls.push(`restore ${target.node}`);
    await this.cluster.onRestore?.(target);
    if (this.cluster.failures.restore === target.node) {
      throw new Error(`restore failed on ${target.node}`);
    }
    this.cluster.states.set(target.node, "running");
  }
}

/**
 * Sessions live on their home node plus the next one (2 owners); `persistent` keeps them in
 * the database too. A session is lost when every owner is down at once (volatile only).
 */
export class FakeProbes implements ClusterProbes {
  private sessions: { id: string; home: number }[] = [];
  readonly lostForever = new Set<string>();
  /** Every check that ran: `${check}@${route}`. */
  readonly ran: string[] = [];
  /** Sessions a given route refuses although they live (a node that does not share the caches). */
  refuse?: (check: CheckName, route: string, session: string) => boolean;
  trafficStopped = 0;
  /** Throw from the traffic's stop. */
  trafficFails = false;

  constructor(
    private readonly outputs: ClusterOutputs,
    private readonly cluster: FakeCluster,
    private readonly persistent = true,
  ) {}

  private running(id: string) {
    return this.cluster.states.get(id) === "running";
  }

  private ids(): string[] {
    return this.outputs.driver.kind === "docker" ? this.outputs.driver.nodes.map((n) => n.id) : [];
  }

  useNodes(): void {}

  async health(node: LiveNode): Promise<NodeHealth> {
    if (!this.running(node.id)) {
      return { ready: false };
    }
    const size = this.cluster.reportedSize?.(node.id) ?? [...this.cluster.states.values()].filter((s) => s === "running").length;
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
    const index = this.ids().indexOf(nodeId);
    return this.sessions.filter((s) => s.home === index).map((s) => s.id);
  }

  async check(check: CheckName, route: string): Promise<CheckResult> {
    this.ran.push(`${check}@${route}`);
    if (this.cluster.failures.check === check) {
      throw new Error(`probe ${check} crashed`);
    }
    const ids = this.ids();
    if (!this.persistent) {
      for (const s of this.sessions) {
        const owners = [s.home, (s.home + 1) % ids.length].map((i) => ids[i]);
        if (owners.every((o) => !this.running(o))) {
          this.lostForever.add(s.id);
        }
      }
    }
    const sessionChecks: CheckName[] = ["userinfo", "refresh", "sso-cookie"];
    const failed = sessionChecks.includes(check)
      ? this.sessions.filter((s) => this.lostForever.has(s.id) || this.refuse?.(check, route, s.id)).map((s) => s.id)
      : [];
    const total = sessionChecks.includes(check) ? this.sessions.length : 2;
    return {
      check,
      node: route,
      passed: total - failed.length,
      total,
      durationMs: 1,
      failures: failed.map((subject) => ({ subject, detail: "userinfo answered 401" })),
      failedSubjects: failed,
    };
  }

  /** Notes the next takeNotes() hands the runner. */
  readonly notes: string[] = [];

  takeNotes(): readonly string[] {
    return this.notes.splice(0);
  }

  /** What the next traffic's stop() answers. */
  trafficStats: TrafficStats = {
    requests: 10,
    errors: 0,
    latencyMs: { p50: 1, p95: 2, max: 3 },
    startedAt: "2026-01-01T00:00:00.000Z",
    perSecond: [{ second: 0, requests: 10, errors: 0, p50: 1, p95: 2 }],
  };

  async startTraffic(): Promise<Traffic> {
    return {
      stop: async () => {
        this.trafficStopped++;
        if (this.trafficFails) {
          throw new Error("traffic summary broke");
        }
        return this.trafficStats;
      },
    };
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
