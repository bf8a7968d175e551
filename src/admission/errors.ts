import type { FastifyError } from 'fastify';
import { describeError, errorBodyOf, WebhookError, type ErrorBody } from '../errors.ts';

/** What the request said about its body, for the words of an error. */
export interface RequestBodyFacts {
  readonly bodyLimit: number;
  /** The Content-Type header as sent, if any (Fastify 5's error no longer names it). */
  readonly contentType?: string | undefined;
}

/** Fastify's own body-parsing errors, answered in the words of our catalogue. */
function fromFastify(error: FastifyError, facts: RequestBodyFacts): WebhookError | undefined {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new WebhookError(
        'MEDIA_TYPE',
        facts.contentType === undefined || facts.contentType === '' ? 'none' : JSON.stringify(facts.contentType.slice(0, 100)),
      );
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new WebhookError('BODY_TOO_LARGE', String(facts.bodyLimit));
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new WebhookError('BODY_EMPTY');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new WebhookError('BODY_NOT_JSON', 'its length does not match Content-Length');
    default:
      return error instanceof SyntaxError || error.statusCode === 400 ? new WebhookError('BODY_NOT_JSON', error.message) : undefined;
  }
}

export function toErrorBody(error: unknown, facts: RequestBodyFacts): ErrorBody {
  const known = error instanceof WebhookError ? error : fromFastify(error as FastifyError, facts);
  return errorBodyOf(known ?? new WebhookError('INTERNAL', describeError(error)));
}
