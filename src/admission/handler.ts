import type { FastifyBaseLogger } from 'fastify';
import { performance } from 'node:perf_hooks';
import type { ClusterView } from '../rules/class-view.ts';
import type { WebhookMetrics } from '../observability/metrics.ts';
import { fieldErrorText } from '../rules/field-errors.ts';
import { familyFor, RESOURCE_FAMILIES } from '../rules/table.ts';
import type { RuleContext, RuleOptions } from '../rules/types.ts';
import type { SchemaSet } from '../schemas.ts';
import type { ReadObject } from '../cluster/object-reader.ts';
import { decide, ruleRequestOf, type Decision } from './decide.ts';
import { DefaultClaims } from './default-claims.ts';
import { gatherObjects } from './gather-objects.ts';
import { answer, parseReview, REVIEW_SCHEMA_ID, type AdmissionRequest, type AdmissionReview, type ReviewAnswer } from './review.ts';
import { invalidStatus } from './status.ts';

export interface HandlerOptions {
  readonly schemas: SchemaSet;
  readonly cluster: ClusterView;
  readonly ruleOptions: RuleOptions;
  readonly metrics: WebhookMetrics;
  /**
   * The class caches whose watch is down (the API server out of reach): decisions still use their
   * last known state, and each decision's log line says so. Absent without a cluster.
   */
  readonly staleClassCaches?: (() => readonly string[]) | undefined;
  /** Reads single objects for the restore and clone rules; absent without a cluster (those rules are then off). */
  readonly readObject?: ReadObject | undefined;
  readonly lookupTimeoutMs?: number | undefined;
  /** Defaults allowed here that the class watch has not shown yet; one per handler by default. */
  readonly defaultClaims?: DefaultClaims | undefined;
}

/** POST of an AdmissionReview: parse, decide, answer; what is not a review throws a 4xx. */
export function reviewHandler(options: HandlerOptions) {
  // Ajv compiles a schema on first use: that added 2-7 ms to the first review of each kind (bench).
  for (const id of [REVIEW_SCHEMA_ID, ...RESOURCE_FAMILIES.map((family) => family.schemaId)]) options.schemas.validator(id);
  const claims = options.defaultClaims ?? new DefaultClaims();
  return (body: unknown, log: FastifyBaseLogger): ReviewAnswer | Promise<ReviewAnswer> => {
    const review = parseReview(body, options.schemas);
    const context: RuleContext = { cluster: claims.overlay(options.cluster), options: options.ruleOptions };
    const lookups = familyFor(review.request.resource)?.lookups;
    const { readObject } = options;
    if (lookups === undefined || readObject === undefined || !isWrite(review.request)) return finish(review, context, log);
    const deadline = options.lookupTimeoutMs ?? DEFAULT_LOOKUP_TIMEOUT_MS;
    return gatherObjects(lookups, ruleRequestOf(review.request), readObject, deadline).then((objects) =>
      finish(review, { ...context, objects }, log),
    );
  };

  function finish(review: AdmissionReview, context: RuleContext, log: FastifyBaseLogger): ReviewAnswer {
    const started = performance.now();
    const decision = decide(review.request, context, options.schemas);
    if (decision.outcome === 'allowed') claims.recordAllowed(review.request);
    const result = answer(review, {
      allowed: decision.outcome !== 'denied',
      ...(decision.outcome === 'denied' ? { status: invalidStatus(review.request, decision.violations) } : {}),
      ...(decision.warnings.length > 0 ? { warnings: decision.warnings.map((warning) => warning.message) } : {}),
    });
    options.metrics.decisionSeconds.observe({ kind: decision.family?.kind ?? UNKNOWN }, (performance.now() - started) / 1000);
    record(options.metrics, review.request, decision);
    logDecision(log, review.request, decision, options.staleClassCaches);
    return result;
  }
}

const DEFAULT_LOOKUP_TIMEOUT_MS = 1000;

function isWrite(request: AdmissionRequest): boolean {
  return request.operation === 'CREATE' || request.operation === 'UPDATE';
}

/**
 * Label values come from the rule table, never from the request: whoever can reach the port must
 * not put its strings on the metrics port, nor grow the series without bound (nor, with a field
 * prom-client does not expect, turn a review into a 500). The log line names an unknown resource.
 */
const UNKNOWN = 'unknown';

function record(metrics: WebhookMetrics, request: AdmissionRequest, decision: Decision): void {
  const { group, kind } = decision.family ?? { group: UNKNOWN, kind: UNKNOWN };
  metrics.reviews.inc({ group, kind, operation: request.operation, decision: decision.outcome });
  for (const warning of decision.warnings) metrics.warnings.inc({ rule: warning.rule });
  for (const violation of decision.violations) metrics.violations.inc({ rule: violation.rule });
  if (decision.outcome === 'unknown') metrics.unknownResources.inc();
}

/** Denials at info (who, what, why), allows at debug; never a whole object at info. */
function logDecision(
  log: FastifyBaseLogger,
  request: AdmissionRequest,
  decision: Decision,
  staleClassCaches: HandlerOptions['staleClassCaches'],
): void {
  const level = decision.outcome === 'denied' ? 'info' : decision.outcome === 'unknown' ? 'warn' : 'debug';
  if (!isLevelEnabled(log, level)) return;
  const stale = staleClassCaches?.() ?? [];
  log[level](
    {
      uid: request.uid,
      kind: request.kind.kind,
      resource: `${request.resource.resource}.${request.resource.group}/${request.resource.version}`,
      operation: request.operation,
      // "object", not "name": pino's own "name" field says which program logged the line.
      object: request.namespace ? `${request.namespace}/${request.name ?? ''}` : request.name,
      user: request.userInfo?.username,
      dryRun: request.dryRun,
      violations: decision.violations.map(fieldErrorText),
      warnings: decision.warnings.map((warning) => warning.message),
      ...(stale.length > 0 ? { staleClassCaches: stale } : {}),
    },
    `review ${decision.outcome}`,
  );
}

const LEVELS: Readonly<Record<string, number>> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };

/** Building the log fields costs more than the decision: skip it when the line would be dropped. */
function isLevelEnabled(log: FastifyBaseLogger, level: string): boolean {
  return (LEVELS[level] ?? 0) >= (LEVELS[log.level] ?? Number.POSITIVE_INFINITY);
}
