/**
 * The chart's matchConditions, evaluated by a CEL interpreter (@bufbuild/cel) on reviews a real
 * kube-apiserver sent, as the API server evaluates them before calling the webhook: a request is
 * sent only when every condition of the entry holds.
 */
import { run } from '@bufbuild/cel';
import { describe, expect, it } from 'vitest';
import { reviewFrom, type Capture } from '../../testkit/captures.ts';
import type { ValidatingWebhook } from './k8s-types.ts';
import { renderMatrix } from './render-matrix.ts';

type Request = Capture['body']['request'];

/** JSON as CEL sees an unstructured object: maps for objects (plain JS objects are not CEL maps). */
function celValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(celValue);
  if (value !== null && typeof value === 'object') return new Map(Object.entries(value).map(([key, entry]) => [key, celValue(entry)]));
  return value;
}

function sends(webhook: ValidatingWebhook | undefined, request: Request): boolean {
  if (webhook === undefined) throw new Error('no such webhook entry');
  const variables = {
    request: celValue(request),
    object: celValue(request.object ?? null),
    oldObject: celValue(request.oldObject ?? null),
  };
  return (webhook.matchConditions ?? []).every((condition) => {
    const result = run(condition.expression, variables as Parameters<typeof run>[1]);
    if (typeof result !== 'boolean') throw new Error(`${condition.name} gave a ${typeof result}, not a bool`);
    return result;
  });
}

function request(prefix: string, edit: (request: Request) => void = () => undefined): Request {
  return reviewFrom(prefix, (review) => edit(review.request)).request;
}

/** The captured UPDATE (`kubectl label`) with its spec changed as well. */
function specChanged(target: Request): void {
  const object = target.object as { spec: { source: Record<string, unknown> } };
  object.spec.source = { volumeSnapshotContentName: 'other' };
}

/** A capture's CREATE turned into an UPDATE from an identical old object. */
function unchangedUpdate(target: Request): void {
  target.operation = 'UPDATE';
  target.oldObject = structuredClone(target.object);
}

function claim(spec: Record<string, unknown>): (target: Request) => void {
  return (target) => {
    target.kind = { group: '', version: 'v1', kind: 'PersistentVolumeClaim' };
    target.resource = { group: '', version: 'v1', resource: 'persistentvolumeclaims' };
    target.object = { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'restored' }, spec };
  };
}

describe('matchConditions, as the API server evaluates them', () => {
  const get = renderMatrix({
    defaults: {},
    exemptions: { webhook: { matchConditions: [{ name: 'not-backup', expression: "request.userInfo.username != 'backup'" }] } },
  });

  it('sends every CREATE of the six kinds the API server captured', () => {
    for (const prefix of ['01', '02', '03', '04', '05']) expect(sends(get('defaults').webhook, request(prefix))).toBe(true);
  });

  it('does not send an UPDATE that leaves spec alone (a label, a finalizer), and sends one that changes it', () => {
    const webhook = get('defaults').webhook;
    expect(sends(webhook, request('06'))).toBe(false);
    expect(sends(webhook, request('06', specChanged))).toBe(true);
    for (const prefix of ['02', '03', '04']) expect(sends(webhook, request(prefix, unchangedUpdate))).toBe(false);
  });

  it('sends every UPDATE of a class: they have no spec, and the default annotation is what the rules read', () => {
    for (const prefix of ['01', '05']) expect(sends(get('defaults').webhook, request(prefix, unchangedUpdate))).toBe(true);
  });

  it("adds the admins' conditions to the built-in one", () => {
    const webhook = get('exemptions').webhook;
    const byBackup = (target: Request): void => {
      target.userInfo = { username: 'backup' };
    };
    expect(sends(webhook, request('02'))).toBe(true);
    expect(sends(webhook, request('02', byBackup))).toBe(false);
    expect(sends(webhook, request('06', specChanged))).toBe(true);
  });

  it('sends the PVC entry only claims with a data source', () => {
    const pvc = get('defaults').pvcWebhook;
    const restore = { dataSource: { apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: 'db-snap' } };
    expect(sends(pvc, request('02', claim(restore)))).toBe(true);
    expect(sends(pvc, request('02', claim({ dataSourceRef: { kind: 'PersistentVolumeClaim', name: 'db' } })))).toBe(true);
    expect(sends(pvc, request('02', claim({ resources: { requests: { storage: '1Gi' } } })))).toBe(false);
  });
});
