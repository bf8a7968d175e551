import { STATUS_CODES } from 'node:http';

/**
 * The error catalogue: every error the webhook answers or exits with has one code here, with the
 * HTTP status it is answered with, the exit code of a process that ends on it, and its message
 * template. Grep a code to find the one place it is raised.
 */
export interface ErrorDefinition {
  readonly code: string;
  readonly statusCode: number;
  readonly exitCode: number;
  readonly template: string;
}

/** Exit codes: 1 is a failure at run time (and, for validate and audit, problems found), 2 a usage or configuration error. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

function define(code: string, statusCode: number, template: string, exitCode: number = EXIT_FAILURE): ErrorDefinition {
  return { code, statusCode, exitCode, template };
}

export const ERRORS = {
  BODY_NOT_JSON: define('SVW_ERR_BODY_NOT_JSON', 400, 'request body is not valid JSON: %s'),
  BODY_EMPTY: define('SVW_ERR_BODY_EMPTY', 400, 'request body is empty: expected an AdmissionReview'),
  BODY_NOT_REVIEW: define('SVW_ERR_BODY_NOT_REVIEW', 400, 'request body is not an AdmissionReview: %s'),
  BODY_TOO_LARGE: define('SVW_ERR_BODY_TOO_LARGE', 413, 'request body is larger than the limit of %s bytes'),
  BODY_TOO_COMPLEX: define('SVW_ERR_BODY_TOO_COMPLEX', 413, 'request body is no AdmissionReview: %s'),
  MEDIA_TYPE: define('SVW_ERR_MEDIA_TYPE', 415, 'unsupported content type %s: send application/json'),
  METHOD: define('SVW_ERR_METHOD', 405, 'method %s is not allowed on %s: send AdmissionReviews with POST'),
  NOT_FOUND: define('SVW_ERR_NOT_FOUND', 404, 'no route %s %s: POST AdmissionReviews to /validate'),
  REQUEST_TIMEOUT: define('SVW_ERR_REQUEST_TIMEOUT', 408, 'the request did not arrive whole within %s seconds (--request-timeout-seconds)'),
  INTERNAL: define('SVW_ERR_INTERNAL', 500, 'internal error: %s'),
  CONFIG_INVALID: define('SVW_ERR_CONFIG_INVALID', 400, 'invalid configuration: %s', EXIT_USAGE),
  CERTIFICATE_INVALID: define('SVW_ERR_CERTIFICATE_INVALID', 500, 'cannot use the serving certificate: %s'),
  // Raised by the program's own parts rather than answered to a request; the status says what kind of failure it is.
  USAGE: define('SVW_ERR_USAGE', 400, '%s', EXIT_USAGE),
  KUBECONFIG_INVALID: define('SVW_ERR_KUBECONFIG_INVALID', 400, 'cannot use the kubeconfig: %s', EXIT_USAGE),
  MANIFEST_SYNTAX: define('SVW_ERR_MANIFEST_SYNTAX', 400, '%s:%s:%s: %s: %s', EXIT_USAGE),
  API_STATUS: define('SVW_ERR_API_STATUS', 502, '%s %s answered %s%s'),
  API_RESOURCE_GONE: define(
    'SVW_ERR_API_RESOURCE_GONE',
    404,
    '%s %s answered 404: the resource is not served (its CRD was removed, or this version is no longer served)',
  ),
  API_WATCH_ERROR: define('SVW_ERR_API_WATCH_ERROR', 502, 'WATCH %s: ERROR event %s: %s'),
  CLUSTER_UNREADABLE: define('SVW_ERR_CLUSTER_UNREADABLE', 502, 'cannot list the snapshot classes of %s: %s', EXIT_USAGE),
  API_CONFLICT: define('SVW_ERR_API_CONFLICT', 409, '%s changed under every update (%s tries)'),
  NAMESPACE_NOT_FOUND: define('SVW_ERR_NAMESPACE_NOT_FOUND', 404, 'namespace %s not found'),
  CERTIFICATE_UNSETTLED: define('SVW_ERR_CERTIFICATE_UNSETTLED', 500, 'self-managed certificates: %s'),
  SCHEMA_MISSING: define('SVW_ERR_SCHEMA_MISSING', 500, 'no schema %s in %s'),
} as const;

export type ErrorName = keyof typeof ERRORS;

/** What a request that is not a decidable AdmissionReview gets: a 4xx JSON body saying why. */
export interface ErrorBody {
  readonly statusCode: number;
  readonly code: string;
  readonly error: string;
  readonly message: string;
}

/** An error from the catalogue, with its arguments filled in. */
export class WebhookError extends Error {
  readonly code: string;
  readonly statusCode: number;
  readonly exitCode: number;

  constructor(name: ErrorName, ...args: readonly string[]) {
    const definition = ERRORS[name];
    super(format(definition.template, args));
    this.name = 'WebhookError';
    this.code = definition.code;
    this.statusCode = definition.statusCode;
    this.exitCode = definition.exitCode;
  }
}

function format(template: string, args: readonly string[]): string {
  let index = 0;
  return template.replace(/%s/g, () => args[index++] ?? '');
}

/** An error as one line for a person; fetch hides the reason (ECONNREFUSED, a certificate error) in its cause. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}

export function errorBodyOf(error: WebhookError): ErrorBody {
  return { statusCode: error.statusCode, code: error.code, error: STATUS_CODES[error.statusCode] ?? 'Error', message: error.message };
}
