/** The shape of the bench's report (benchmarks.json), read by the Markdown renderer and written by report.ts. */
import type { Comparison, RssSummary, ScalingPoint, Target } from './aggregate.ts';
import type { CalibrationPoint } from './calibration.ts';
import type { DecisionTime } from './metrics.ts';
import type { ServerProfile } from './profile-pass.ts';
import type { RunRecord } from './runner.ts';
import type { StartupPoint } from './startup.ts';

export interface Machine {
  readonly cores: number;
  readonly cpuModel: string;
  readonly memoryGiB: number;
  readonly node: string;
  readonly os: string;
  readonly loadAverageBefore: readonly number[];
  readonly loadAverageAfter: readonly number[];
}

export interface BenchReport {
  readonly date: string;
  readonly machine: Machine;
  /** What was measured: the commit, and the files under src/ and schemas/ that differed from it. */
  readonly source: { readonly commit: string; readonly uncommitted: readonly string[] };
  readonly options: {
    readonly rounds: number;
    readonly durationSeconds: number;
    readonly h2Rounds: number;
    readonly h2DurationSeconds: number;
    readonly classCounts: readonly number[];
  };
  readonly loadGenerators: { readonly http1: string; readonly http2: string | null };
  readonly scenarios: readonly { readonly name: string; readonly title: string; readonly bodyBytes: readonly number[] }[];
  readonly preflightChecks: number;
  readonly rss: readonly RssSummary[];
  readonly targets: readonly Target[];
  readonly decision: DecisionTime;
  readonly comparisons: readonly Comparison[];
  readonly scaling: readonly ScalingPoint[];
  readonly profiles: readonly ServerProfile[];
  /** Fresh starts of the production build: time to ready, to the first review, idle RSS. */
  readonly startup: readonly StartupPoint[];
  readonly calibration: readonly CalibrationPoint[];
  /** Extra node flags the webhook ran with (none in a normal run). */
  readonly webhookNodeFlags: readonly string[];
  readonly notes: readonly string[];
  readonly wallSeconds: number;
  readonly runs: readonly RunRecord[];
}
