import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetrics } from '../src/observability/metrics.ts';
import type { TestApp } from './support/app.ts';
import { createTestApp } from './support/app.ts';
import { captures, reviewFrom } from '../testkit/captures.ts';

/** The AdmissionReview exchange through app.inject(): every path, both review versions, every malformed input. */
let testApp: TestApp;
const metrics = createMetrics();

async function badRequests(code: string): Promise<number> {
  const metric = await metrics.badRequests.get();
  return metric.values.find((value) => value.labels.code === code)?.value ?? 0;
}

beforeAll(async () => {
  testApp = await createTestApp({ bodyLimitBytes: 64 * 1024, metrics });
});
afterAll(async () => {
  await testApp.app.close();
});

async function post(path: string, payload: string | object | undefined, contentType: string | null = 'application/json') {
  const response = await testApp.app.inject({
    method: 'POST',
    url: path,
    headers: contentType === null ? {} : { 'content-type': contentType },
    ...(payload === undefined ? {} : { payload: typeof payload === 'string' ? payload : JSON.stringify(payload) }),
  });
  return { status: response.statusCode, body: response.json<Record<string, unknown>>(), headers: response.headers };
}

const bothSources = (version: string) =>
  reviewFrom('02', (review) => {
    review.apiVersion = version;
    const object = review.request.object as { spec: { source: Record<string, string> } };
    object.spec.source = { persistentVolumeClaimName: 'a', volumeSnapshotContentName: 'b' };
  });

describe('the exchange', () => {
  it.each(captures().map((entry) => [entry.file, entry] as const))('answers the captured review %s', async (_file, entry) => {
    const { status, body } = await post(entry.path, entry.body, entry.headers['content-type'] ?? 'application/json');
    expect(status).toBe(200);
    expect(body).toEqual({
      apiVersion: entry.body.apiVersion,
      kind: 'AdmissionReview',
      response: { uid: entry.body.request.uid, allowed: true },
    });
  });

  it.each(['admission.k8s.io/v1', 'admission.k8s.io/v1beta1'])('denies with a 422 Status in the %s answer', async (version) => {
    const { status, body } = await post('/validate?timeout=3s', bothSources(version));
    expect(status).toBe(200);
    expect(body.apiVersion).toBe(version);
    expect(body.response).toEqual({
      uid: '7635377d-c4e6-4342-bf86-5fa534cda85c',
      allowed: false,
      status: {
        metadata: {},
        status: 'Failure',
        code: 422,
        reason: 'Invalid',
        message:
          'VolumeSnapshot.snapshot.storage.k8s.io "db-snap" is invalid: spec.source: Invalid value: ' +
          '{"persistentVolumeClaimName":"a","volumeSnapshotContentName":"b"}: exactly one of persistentVolumeClaimName ' +
          'and volumeSnapshotContentName must be set: persistentVolumeClaimName to snapshot a PVC, or ' +
          'volumeSnapshotContentName to bind a pre-provisioned VolumeSnapshotContent',
        details: {
          name: 'db-snap',
          group: 'snapshot.storage.k8s.io',
          kind: 'VolumeSnapshot',
          causes: [
            {
              reason: 'FieldValueInvalid',
              field: 'spec.source',
              message:
                'Invalid value: {"persistentVolumeClaimName":"a","volumeSnapshotContentName":"b"}: exactly one of ' +
                'persistentVolumeClaimName and volumeSnapshotContentName must be set: persistentVolumeClaimName to ' +
                'snapshot a PVC, or volumeSnapshotContentName to bind a pre-provisioned VolumeSnapshotContent',
            },
          ],
        },
      },
    });
  });

  it('reports every violation at once, joined as Kubernetes aggregates them', async () => {
    const review = bothSources('admission.k8s.io/v1');
    (review.request.object as { spec: Record<string, unknown> }).spec.volumeSnapshotClassName = '';
    const { body } = await post('/validate', review);
    const status = (body.response as { status: { message: string; details: { causes: unknown[] } } }).status;
    expect(status.details.causes).toHaveLength(2);
    expect(status.message).toMatch(
      /is invalid: \[spec\.source: Invalid value: .*, spec\.volumeSnapshotClassName: Invalid value: "": must not be empty\]$/,
    );
  });

  it.each(['/validate', '/volumesnapshot', '/volumegroupsnapshot'])('serves %s, ignoring the query string', async (path) => {
    const { status, body } = await post(`${path}?timeout=3s`, bothSources('admission.k8s.io/v1'));
    expect(status).toBe(200);
    expect((body.response as { allowed: boolean }).allowed).toBe(false);
  });

  it('accepts application/json with parameters', async () => {
    const { status } = await post('/validate', reviewFrom('02'), 'application/json; charset=utf-8');
    expect(status).toBe(200);
  });

  it('returns warnings, and allows an unknown resource with a warning', async () => {
    const review = reviewFrom('01', (body) => {
      (body.request.object as { metadata: { annotations: Record<string, string> } }).metadata.annotations[
        'snapshot.storage.kubernetes.io/is-default-class'
      ] = 'True';
    });
    expect((await post('/validate', review)).body.response).toEqual({
      uid: review.request.uid,
      allowed: true,
      warnings: ['annotation snapshot.storage.kubernetes.io/is-default-class is "True", not "true": this class is not a default'],
    });
    const unknown = reviewFrom('02', (body) => {
      body.request.resource = { group: 'apps', version: 'v1', resource: 'deployments' };
    });
    const answer = (await post('/validate', unknown)).body.response as { allowed: boolean; warnings: string[] };
    expect(answer.allowed).toBe(true);
    expect(answer.warnings).toEqual([
      'the snapshot webhook does not validate deployments.apps/v1: check the rules of its ValidatingWebhookConfiguration',
    ]);
    const core = reviewFrom('02', (body) => {
      body.request.resource = { group: '', version: 'v1', resource: 'pods' };
    });
    expect((await post('/validate', core)).body.response).toMatchObject({
      allowed: true,
      warnings: [expect.stringContaining('does not validate pods/v1:')],
    });
  });

  it('answers nothing of the request but the uid', async () => {
    const { body } = await post('/validate', reviewFrom('06'));
    expect(Object.keys(body)).toEqual(['apiVersion', 'kind', 'response']);
    expect(Object.keys(body.response as object)).toEqual(['uid', 'allowed']);
  });
});

describe('malformed requests get a 4xx JSON answer that says what is wrong', () => {
  const rows: Array<[string, string | object | undefined, string | null, number, string, RegExp]> = [
    ['not JSON', '{"kind": "AdmissionReview",', 'application/json', 400, 'SVW_ERR_BODY_NOT_JSON', /not valid JSON/],
    ['an empty body', undefined, 'application/json', 400, 'SVW_ERR_BODY_EMPTY', /empty/],
    ['an empty body, no content type', undefined, null, 400, 'SVW_ERR_BODY_EMPTY', /empty/],
    [
      'no request',
      { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' },
      'application/json',
      400,
      'SVW_ERR_BODY_NOT_REVIEW',
      /body: must have required property 'request'/,
    ],
    ['a JSON array', [], 'application/json', 400, 'SVW_ERR_BODY_NOT_REVIEW', /body: must be object/],
    ['a JSON string', '"hello"', 'application/json', 400, 'SVW_ERR_BODY_NOT_REVIEW', /must be object/],
    [
      'the wrong kind',
      { ...reviewFrom('02'), kind: 'Pod' },
      'application/json',
      400,
      'SVW_ERR_BODY_NOT_REVIEW',
      /body\.kind: must be equal to constant/,
    ],
    [
      'the wrong apiVersion',
      { ...reviewFrom('02'), apiVersion: 'v1' },
      'application/json',
      400,
      'SVW_ERR_BODY_NOT_REVIEW',
      /body\.apiVersion: must be one of/,
    ],
    [
      'a number as uid',
      reviewFrom('02', (r) => {
        r.request.uid = 42;
      }),
      'application/json',
      400,
      'SVW_ERR_BODY_NOT_REVIEW',
      /body\.request\.uid: must be string/,
    ],
    [
      'an unknown operation',
      reviewFrom('02', (r) => {
        r.request.operation = 'PATCH';
      }),
      'application/json',
      400,
      'SVW_ERR_BODY_NOT_REVIEW',
      /operation: must be one of/,
    ],
    [
      'a number where a name goes',
      reviewFrom('02', (r) => {
        (r.request.object as { spec: { source: object } }).spec.source = { persistentVolumeClaimName: 7 };
      }),
      'application/json',
      400,
      'SVW_ERR_BODY_NOT_REVIEW',
      /body\.request\.object\.spec\.source\.persistentVolumeClaimName: must be string,null/,
    ],
    [
      'a CREATE without object',
      reviewFrom('02', (r) => {
        r.request.object = null;
      }),
      'application/json',
      400,
      'SVW_ERR_BODY_NOT_REVIEW',
      /body\.request\.object: must be set for VolumeSnapshot/,
    ],
    [
      'an UPDATE without oldObject',
      reviewFrom('06', (r) => {
        delete r.request.oldObject;
      }),
      'application/json',
      400,
      'SVW_ERR_BODY_NOT_REVIEW',
      /oldObject: must be set/,
    ],
    [
      'a wrong content type',
      reviewFrom('02'),
      'text/plain',
      415,
      'SVW_ERR_MEDIA_TYPE',
      /^unsupported content type "text\/plain": send application\/json$/,
    ],
    [
      'YAML',
      'apiVersion: admission.k8s.io/v1',
      'application/yaml',
      415,
      'SVW_ERR_MEDIA_TYPE',
      /^unsupported content type "application\/yaml": send application\/json$/,
    ],
    ['no content type', reviewFrom('02'), null, 415, 'SVW_ERR_MEDIA_TYPE', /^unsupported content type none: send application\/json$/],
    [
      'JSON declared as UTF-16',
      reviewFrom('02'),
      'application/json; charset=utf-16',
      415,
      'SVW_ERR_MEDIA_TYPE',
      /^unsupported content type "application\/json; charset=utf-16": send application\/json$/,
    ],
    [
      'a body over the limit',
      { pad: 'x'.repeat(70 * 1024) },
      'application/json',
      413,
      'SVW_ERR_BODY_TOO_LARGE',
      /larger than the limit of 65536 bytes/,
    ],
    // Parsed as an ordinary key (Kubernetes allows it), so the body is answered as what it is: no review.
    [
      'a body whose only key is "__proto__"',
      '{"__proto__": {"request": {}}}',
      'application/json',
      400,
      'SVW_ERR_BODY_NOT_REVIEW',
      /request/,
    ],
  ];

  const cases = rows.map(([name, payload, contentType, statusCode, code, message]) => ({
    name,
    payload,
    contentType,
    statusCode,
    code,
    message,
  }));

  it.each(cases)('$name', async ({ payload, contentType, statusCode, code, message }) => {
    const { status, body } = await post('/validate', payload, contentType);
    expect(status).toBe(statusCode);
    expect(body).toMatchObject({ statusCode, code });
    expect(body.message).toMatch(message);
  });

  it.each(['GET', 'PUT', 'DELETE', 'PATCH'] as const)('%s /validate → 405 with Allow: POST', async (method) => {
    const response = await testApp.app.inject({ method, url: '/validate' });
    expect(response.statusCode).toBe(405);
    expect(response.headers.allow).toBe('POST');
    expect(response.json()).toMatchObject({ code: 'SVW_ERR_METHOD' });
  });

  it('an unknown path → 404 JSON', async () => {
    const response = await testApp.app.inject({ method: 'POST', url: '/mutate', payload: {} });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({
      code: 'SVW_ERR_NOT_FOUND',
      message: 'no route POST /mutate: POST AdmissionReviews to /validate',
    });
  });

  it('counts rejected requests by code', async () => {
    const before = await badRequests('SVW_ERR_BODY_NOT_JSON');
    await post('/validate', '{', 'application/json');
    expect(await badRequests('SVW_ERR_BODY_NOT_JSON')).toBe(before + 1);
  });

  it('serves no metrics on the admission port', async () => {
    expect((await testApp.app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(404);
  });
});
