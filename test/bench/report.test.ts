/**
 * The bench's arithmetic: decision-time quantiles read from the webhook's histogram as Prometheus
 * reads them, the A/B ratio as the median of each round's pair, and the targets they feed.
 */
import { describe, expect, it } from 'vitest';
import { median } from '../../bench/context.ts';
import { addHistograms, quantileMs, within100us, type Histogram, type RunRecord } from '../../bench/measure.ts';
import { compare, renderResults, targets } from '../../bench/report.ts';
import type { Measured } from '../../bench/sections.ts';

/** 100 decisions: 10 within 10 µs, 40 more within 25 µs, 40 more within 50 µs, the last 10 within 100 µs. */
const DECISIONS: Histogram = { bounds: [0.00001, 0.000025, 0.00005, 0.0001, Infinity], counts: [10, 50, 90, 100, 100] };

function run(role: RunRecord['role'], round: number, requestsPerSecond: number): RunRecord {
  const load = {
    requests: requestsPerSecond,
    requestsPerSecond,
    latencyMs: { p50: 0.3, p99: 0.9, p999: 2 },
    errors: 0,
    statuses: { 200: 1 },
  };
  const common = { protocol: 'http1', scenario: 'mix', shape: '50 connections', round, role, load } as const;
  const decision = role === 'webhook' ? { decision: DECISIONS } : {};
  return { ...common, cpuUsPerRequest: 100, peakRssBytes: 100e6, stealPercent: 0, loadAverage: 1, verified: true, ...decision };
}

describe('decision time from the histogram', () => {
  it('interpolates within the bucket as histogram_quantile does, and counts the share within 100 µs exactly', () => {
    expect(quantileMs(DECISIONS, 0.5)).toBeCloseTo(0.025, 9);
    expect(quantileMs(DECISIONS, 0.99)).toBeCloseTo(0.095, 9);
    expect(within100us(DECISIONS)).toBe(1);
    expect(within100us({ bounds: DECISIONS.bounds, counts: [10, 50, 90, 98, 100] })).toBe(0.98);
    expect(quantileMs({ bounds: [], counts: [] }, 0.5)).toBeNaN();
  });

  it('sums runs bucket by bucket, and a run is the difference of two scrapes', () => {
    expect(addHistograms([DECISIONS, DECISIONS]).counts).toEqual([20, 100, 180, 200, 200]);
    const before = { bounds: DECISIONS.bounds, counts: [1, 2, 3, 4, 4] };
    expect(addHistograms([DECISIONS, before], [1, -1]).counts).toEqual([9, 48, 87, 96, 96]);
  });
});

describe('the A/B comparison', () => {
  it("takes the median of each round's webhook ÷ baseline, not the ratio of the medians", () => {
    const runs = [run('webhook', 1, 100), run('baseline', 1, 400), run('baseline', 2, 100), run('webhook', 2, 90), run('webhook', 3, 300)];
    runs.push(run('baseline', 3, 310));
    const [comparison] = compare(runs);
    expect(comparison?.ratios).toEqual([0.25, 0.9, 300 / 310]);
    expect(comparison?.ratio).toBe(0.9);
    expect(comparison?.webhook.requestsPerSecond).toBe(100);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('turns the runs into targets and tables, "not run" where a section was left out', () => {
    const measured: Measured = {
      ab: { runs: [run('webhook', 1, 95), run('baseline', 1, 100)], preflightChecks: 2, idleRssBytes: { webhook: 80e6, baseline: 90e6 } },
      ...{ calibration: [], scaling: [], startup: [], profiles: [] },
    };
    const byName = Object.fromEntries(targets(measured).map(([name, , text, met]) => [name, { text, met }]));
    expect(byName['throughput at 50 connections']).toEqual({ text: '0.95 × (mix, HTTP/1.1); lowest: 0.95 × (mix, http1)', met: true });
    expect(byName['decision time p99']?.met).toBe(true);
    expect(byName['peak RSS under load']?.text).toContain('HTTP/2 not run');
    expect(byName['ready after cache sync']?.met).toBe(false);
    const markdown = renderResults({ ...measured, header: ['A run.'], scenarioTitles: { mix: 'the mix' }, notes: [] });
    expect(markdown).toContain('| the mix | 50 connections | 95 | 100 | 0.95 (0.95–0.95) |');
    expect(markdown).toContain('(profiling pass skipped)');
  });
});
