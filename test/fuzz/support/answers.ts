/**
 * What every answer of the webhook must be, whatever it was sent: a well-formed AdmissionReview
 * (200) that answers the review it was sent, or a 4xx JSON error from the catalogue. Anything
 * else — a 5xx, a body that is not JSON, a review for another uid — is a finding.
 */
export interface Answer {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, unknown>>;
  readonly body: string;
}

export interface Sent {
  readonly method: string;
  /** The body as the server will parse it, when it is JSON; undefined otherwise. */
  readonly parsed: unknown;
}

const ERROR_STATUSES = new Set([400, 404, 405, 413, 415]);
const CAUSE_REASONS = new Set(['FieldValueInvalid', 'FieldValueRequired', 'FieldValueForbidden', 'FieldValueNotSupported']);
const RESPONSE_KEYS = new Set(['uid', 'allowed', 'status', 'warnings']);

type Json = Record<string, unknown>;

function fail(message: string, answer: Answer): never {
  throw new Error(`${message}\nanswer ${answer.statusCode}: ${answer.body.slice(0, 600)}`);
}

function record(value: unknown): Json | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
}

function parseBody(answer: Answer): Json {
  try {
    const body = record(JSON.parse(answer.body));
    if (body !== undefined) return body;
  } catch {
    // reported below
  }
  return fail('the body is not a JSON object', answer);
}

export function checkErrorAnswer(answer: Answer, sent: Sent): void {
  if (!ERROR_STATUSES.has(answer.statusCode)) fail(`status ${answer.statusCode} is neither 200 nor an expected 4xx`, answer);
  if (sent.method === 'HEAD') return;
  if (!String(answer.headers['content-type']).startsWith('application/json')) fail('a 4xx answer must be JSON', answer);
  const body = parseBody(answer);
  if (body.statusCode !== answer.statusCode) fail('body.statusCode differs from the status', answer);
  if (typeof body.code !== 'string' || !/^SVW_ERR_[A-Z_]+$/.test(body.code)) fail('body.code is not a catalogue code', answer);
  if (typeof body.message !== 'string' || body.message === '') fail('body.message is missing', answer);
  if (typeof body.error !== 'string') fail('body.error is missing', answer);
}

function checkCause(cause: unknown, answer: Answer): void {
  const entry = record(cause);
  const complete = typeof entry?.field === 'string' && typeof entry.message === 'string' && CAUSE_REASONS.has(String(entry.reason));
  if (!complete) fail(`a cause is incomplete: ${JSON.stringify(cause)}`, answer);
}

function checkStatus(status: unknown, answer: Answer): void {
  const value = record(status);
  if (value?.code !== 422 || value.reason !== 'Invalid' || typeof value.message !== 'string') fail('a denial must be 422 Invalid', answer);
  const causes = record(value.details)?.causes;
  if (!Array.isArray(causes) || causes.length === 0) fail('a denial must name its causes', answer);
  for (const cause of causes as unknown[]) checkCause(cause, answer);
}

function checkWarnings(warnings: unknown, answer: Answer): void {
  if (warnings === undefined) return;
  if (!Array.isArray(warnings) || !warnings.every((warning) => typeof warning === 'string')) fail('warnings must be strings', answer);
}

function checkResponse(response: Json, request: Json | undefined, answer: Answer): void {
  const stray = Object.keys(response).find((key) => !RESPONSE_KEYS.has(key));
  if (stray !== undefined) fail(`response.${stray} must not be there`, answer);
  if (typeof response.uid !== 'string' || response.uid !== request?.uid) fail('response.uid is not the request uid', answer);
  if (typeof response.allowed !== 'boolean') fail('response.allowed is not a boolean', answer);
  if (response.allowed) {
    if (response.status !== undefined) fail('an allowed review carries a status', answer);
  } else {
    checkStatus(response.status, answer);
  }
  checkWarnings(response.warnings, answer);
}

/** Throws, explaining, unless the answer is one the webhook may give to what was sent. */
export function checkAnswer(answer: Answer, sent: Sent): void {
  if (answer.statusCode !== 200) {
    checkErrorAnswer(answer, sent);
    return;
  }
  const body = parseBody(answer);
  const review = record(sent.parsed);
  if (sent.method !== 'POST' || review === undefined) fail('only a POSTed JSON review may get a 200', answer);
  if (body.kind !== 'AdmissionReview' || body.apiVersion !== review.apiVersion) fail('the answer must mirror apiVersion and kind', answer);
  const response = record(body.response);
  if (response === undefined) fail('the answer has no response', answer);
  checkResponse(response, record(review.request), answer);
}

/** 'allowed' or 'denied' for a review; otherwise the error code (or the status of a HEAD). */
export function outcomeOf(answer: Answer): string {
  if (answer.body === '') return `${answer.statusCode} without a body (HEAD)`;
  const body = record(JSON.parse(answer.body));
  if (answer.statusCode !== 200) return String(body?.code);
  return record(body?.response)?.allowed === true ? 'allowed' : 'denied';
}
