import type { FastifyError } from 'fastify';
import { STATUS_CODES } from 'node:http';
import { WebhookError } from '../errors.ts';

/** What a request that is not a decidable AdmissionReview gets: a 4xx JSON body saying why. */
export interface ErrorBody {
  readonly statusCode: number;
  readonly code: string;
  readonly error: string;
  readonly message: string;
}

/** Fastify's own body-parsing errors, answered in the words of our catalogue. */
function fromFastify(error: FastifyError, bodyLimit: number): WebhookError | undefined {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new WebhookError('MEDIA_TYPE', error.message.replace(/^Unsupported Media Type:?\s*/, '') || 'none');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new WebhookError('BODY_TOO_LARGE', String(bodyLimit));
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new WebhookError('BODY_EMPTY');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new WebhookError('BODY_NOT_JSON', 'its length does not match Content-Length');
    default:
      return error instanceof SyntaxError || error.statusCode === 400
        ? new WebhookError('BODY_NOT_JSON', error.message)
        : undefined;
  }
}

export function toErrorBody(error: unknown, bodyLimit: number): ErrorBody {
  const known =
    error instanceof WebhookError ? error : fromFastify(error as FastifyError, bodyLimit);
  const webhookError = known ?? new WebhookError('INTERNAL', error instanceof Error ? error.message : String(error));
  return {
    statusCode: webhookError.statusCode,
    code: webhookError.code,
    error: STATUS_CODES[webhookError.statusCode] ?? 'Error',
    message: webhookError.message,
  };
}
