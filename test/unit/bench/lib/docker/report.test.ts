import { describe, expect, it } from 'vitest';
import { burstTable, dockerRatios, ratiosTable, type DockerRound } from '../../../../../bench/lib/docker/report.js';

function round(o: { run: number; ready: number; burstRun: number; burstReady: number; noAgentTotal: number; agentTotal: number; tail: number; loop: number; busyS?: number }): DockerRound {
  return {
    round: 0,
    order: ['no-agent', 'nsvswitch'],
    noAgent: { sequentialRunMs: [o.run, o.run], burstRunMs: [o.burstRun], burstTotalMs: o.noAgentTotal },
    ovsDocker: { totalMs: o.loop, perPortMs: [o.loop] },
    nsvswitch: {
      sequentialRunMs: [o.run, o.run],
      sequentialReadyMs: [o.ready, o.ready],
      burstRunMs: [o.burstRun],
      burstReadyMs: [o.burstReady],
      burstTotalMs: o.agentTotal,
      burstTailMs: o.tail,
      metrics: o.busyS === undefined ? {} : { 'reconcile time (s)': o.busyS },
    },
  };
}

describe('bench/docker report', () => {
  it('compares the agent with the no-agent floor and ovs-docker as ratios', () => {
    const r = dockerRatios([round({ run: 400, ready: 440, burstRun: 2000, burstReady: 3000, noAgentTotal: 20_000, agentTotal: 21_000, tail: 500, loop: 30_000, busyS: 10 })]);
    expect(r.sequentialReadyVsRunP50).toBeCloseTo(1.1);
    expect(r.sequentialRunSlowdownP50).toBe(1);
    expect(r.burstReadyVsRunP50).toBe(1.5);
    expect(r.burstTotalVsNoAgent).toBe(1.05);
    expect(r.ovsDockerEndToEndVsAgent).toBeCloseTo(50 / 21);
    expect(r.ovsDockerLoopVsAgentTail).toBe(60);
    expect(r.ovsDockerLoopVsAgentBusy).toBe(3);
  });

  it('judges each goal, and says n/a when a figure is missing', () => {
    const t = ratiosTable(dockerRatios([round({ run: 400, ready: 800, burstRun: 2000, burstReady: 2100, noAgentTotal: 20_000, agentTotal: 20_500, tail: 100, loop: 30_000 })]));
    const goal = (prefix: string): string | undefined => t.rows.find((row) => row[0]!.startsWith(prefix))?.[3];
    expect(goal('one at a time: run → tenant-ready')).toBe('missed');
    expect(goal('burst total')).toBe('met');
    expect(goal('plugging only: ovs-docker loop / nsvswitch tail')).toBe('met');
    expect(goal('plugging only: ovs-docker loop / nsvswitch busy')).toBe('n/a');
  });

  it('reports the median round of the burst', () => {
    const rounds = [1, 3, 2].map((k) => round({ run: 1, ready: 1, burstRun: 1, burstReady: 1, noAgentTotal: k * 1000, agentTotal: k * 1000, tail: k, loop: k * 1000 }));
    const t = burstTable(rounds, 10);
    expect(t.rows[0]).toEqual(['no agent: all docker runs returned', '2000 ms', '200 ms']);
  });
});
