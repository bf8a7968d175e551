import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The webhook's Prometheus metrics, on a registry of its own (one per app, so tests and several
 * apps in one process do not share counters).
 */
const PREFIX = 'snapshot_webhook_';
const CACHE_STATES: readonly string[] = ['disabled', 'absent', 'syncing', 'synced'];

/**
 * What each class cache reports, read at scrape time. Declared here, by what reads it, so that
 * the metrics do not depend on the caches (cluster/ hands its status over as it is).
 */
export interface CacheReport {
  /** disabled, absent, syncing or synced. */
  readonly state: string;
  readonly size: number;
  readonly lastSyncTime: Date | null;
  readonly watchConnected: boolean;
  readonly duplicateDefaults: number;
}

export interface CacheReports {
  readonly snapshotClasses: CacheReport;
  readonly groupSnapshotClasses: CacheReport;
}

/** Reviews take tens of microseconds: the buckets must resolve well below a millisecond. */
const DECISION_BUCKETS = [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05];

export interface WebhookMetrics {
  readonly registry: Registry;
  readonly reviews: Counter<'group' | 'kind' | 'operation' | 'decision'>;
  readonly decisionSeconds: Histogram<'kind'>;
  readonly warnings: Counter<'rule'>;
  /** Violations in denied reviews, by rule (one review can break several). */
  readonly violations: Counter<'rule'>;
  /** Single objects read for the restore and clone rules, by resource and outcome (found, absent, failed). */
  readonly lookups: Counter<'resource' | 'outcome'>;
  readonly badRequests: Counter<'code'>;
  /** Requests whose client reset the stream or went away before the answer. */
  readonly abortedRequests: Counter;
  /** HTTP/2 sessions the server cut, by reason (no-request, rapid-reset). */
  readonly connectionsClosed: Counter<'reason'>;
  readonly unknownResources: Counter;
  readonly certificateExpiry: Gauge;
  /** Reads the class caches at scrape time, so nothing has to push updates. */
  watchCaches(status: () => CacheReports): void;
}

export function createMetrics(): WebhookMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: PREFIX });
  const registers = [registry];
  const counter = <Label extends string = never>(name: string, help: string, labelNames: readonly Label[] = []) =>
    new Counter<Label>({ name: `${PREFIX}${name}`, help, labelNames, registers });
  let cacheStatus: (() => CacheReports) | undefined;
  const statusEntries = () => Object.entries(cacheStatus?.() ?? {}) as Array<[string, CacheReport]>;
  /** A gauge per class cache, read from its status at scrape time. */
  const cacheGauge = (name: string, help: string, value: (status: CacheReport) => number) =>
    new Gauge({
      name: `${PREFIX}${name}`,
      help,
      labelNames: ['resource'],
      registers,
      collect() {
        this.reset();
        for (const [resource, status] of statusEntries()) this.set({ resource }, value(status));
      },
    });

  const metrics: WebhookMetrics = {
    registry,
    reviews: counter(
      'reviews_total',
      'AdmissionReviews answered, by group, kind, operation and decision (allowed, denied, skipped, unknown)',
      ['group', 'kind', 'operation', 'decision'],
    ),
    decisionSeconds: new Histogram({
      name: `${PREFIX}decision_duration_seconds`,
      help: 'Time to decide one review in process: object schema check and rules, without network and parsing',
      labelNames: ['kind'],
      buckets: DECISION_BUCKETS,
      registers,
    }),
    warnings: counter('warnings_total', 'Warnings returned to clients, by rule', ['rule']),
    violations: counter('violations_total', 'Rule violations in denied reviews, by rule (docs/rules.md); a review can break several', [
      'rule',
    ]),
    lookups: counter(
      'lookups_total',
      'Objects read from the API server for the restore and clone rules, by resource and outcome (found, absent, failed)',
      ['resource', 'outcome'],
    ),
    badRequests: counter('bad_requests_total', 'Requests answered with a 4xx or 5xx error instead of a review, by error code', ['code']),
    abortedRequests: counter(
      'aborted_requests_total',
      'Requests the client reset or abandoned before the answer (not counted as bad requests)',
    ),
    connectionsClosed: counter(
      'connections_closed_total',
      'Client connections closed by the server: no-request (an HTTP/2 session with no stream within the request timeout), rapid-reset (streams reset faster than any API server does), frame-flood (more bytes than its streams carry), over-capacity (the oldest connection without a request, closed for a new one at --max-connections)',
      ['reason'],
    ),
    // No labels: they would come from the request (unbounded, and request content on the metrics port).
    unknownResources: counter(
      'unknown_resources_total',
      'Reviews of resources the webhook does not know (allowed with a warning; the log names the resource): a configuration mistake',
    ),
    certificateExpiry: new Gauge({
      name: `${PREFIX}certificate_expiry_timestamp_seconds`,
      help: 'When the serving certificate in use expires (Unix time)',
      registers,
    }),
    watchCaches(status) {
      cacheStatus = status;
    },
  };

  cacheGauge('class_cache_size', 'Classes held by each class cache', (status) => status.size);
  new Gauge({
    name: `${PREFIX}class_cache_state`,
    help: 'State of each class cache: 1 for the current state (synced, syncing, absent: CRDs not installed, disabled: no cluster)',
    labelNames: ['resource', 'state'],
    registers,
    collect() {
      this.reset();
      for (const [resource, status] of statusEntries()) {
        for (const state of CACHE_STATES) this.set({ resource, state }, status.state === state ? 1 : 0);
      }
    },
  });
  cacheGauge(
    'class_cache_watch_connected',
    'Whether the watch of each class cache is connected (0 while the API server is unreachable)',
    (status) => (status.watchConnected ? 1 : 0),
  );
  cacheGauge(
    'default_class_rule_enabled',
    'Whether the one-default-per-driver rule is on for each class kind (off without a cluster or CRDs)',
    (status) => (status.state === 'synced' ? 1 : 0),
  );
  cacheGauge(
    'drivers_with_multiple_defaults',
    'CSI drivers with more than one default class, per class kind: snapshots of their volumes that name no class ' +
      'fail (the snapshot controller picks none). Alert when above 0; `snapshot-webhook audit` names the classes',
    (status) => status.duplicateDefaults,
  );
  return metrics;
}
