import type { ServerResponse } from 'node:http';
import { ApiError } from './fake-api-store.ts';
import type { JsonObject, ResourceDefinition, ResourceRef } from './fake-api-store.ts';

/** `group/version`, or `v1` for the core group. */
export function apiVersionOf(group: string, version: string): string {
  return group === '' ? version : `${group}/${version}`;
}

/** An object as served at the version the client asked for: its apiVersion and kind set. */
export function render(object: JsonObject, ref: ResourceRef, resource: ResourceDefinition): JsonObject {
  return { ...object, apiVersion: apiVersionOf(ref.group, ref.version), kind: resource.kind };
}

/** A metav1.Status for an error, as the API server sends it (and inside watch ERROR events). */
export function statusOf(error: ApiError): JsonObject {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: error.message,
    reason: error.reason,
    code: error.code,
  };
}

export function sendJson(response: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  response.end(text);
}

export function sendError(response: ServerResponse, error: unknown): void {
  const apiError = error instanceof ApiError ? error : new ApiError(500, 'InternalError', String(error));
  sendJson(response, apiError.code, statusOf(apiError));
}

/** What kube-apiserver answers for a path no group serves (discovery of a missing group). */
export function sendPageNotFound(response: ServerResponse): void {
  const text = '404 page not found\n';
  response.writeHead(404, {
    'Content-Type': 'text/plain; charset=utf-8',
    'X-Content-Type-Options': 'nosniff',
    'Content-Length': Buffer.byteLength(text),
  });
  response.end(text);
}
