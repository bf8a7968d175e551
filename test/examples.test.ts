import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './support/app.ts';

/** The sample reviews the README tells users to send with curl answer as the README says. */
const EXAMPLES = new URL('../docs/examples/', import.meta.url);

let testApp: TestApp;
beforeAll(async () => {
  testApp = await createTestApp();
});
afterAll(async () => {
  await testApp.app.close();
});

interface Answer {
  response: { allowed: boolean; warnings?: string[]; status?: { message: string; details: { causes: Array<{ field: string }> } } };
}

async function send(file: string): Promise<Answer> {
  const payload = readFileSync(new URL(file, EXAMPLES), 'utf8');
  const response = await testApp.app.inject({ method: 'POST', url: '/validate', headers: { 'content-type': 'application/json' }, payload });
  expect(response.statusCode).toBe(200);
  return response.json<Answer>();
}

describe('docs/examples', () => {
  it('volumesnapshot-allowed.json is allowed', async () => {
    expect((await send('volumesnapshot-allowed.json')).response).toEqual({ uid: '7635377d-c4e6-4342-bf86-5fa534cda85c', allowed: true });
  });

  it('volumesnapshot-denied.json is denied with two causes', async () => {
    const { response } = await send('volumesnapshot-denied.json');
    expect(response.allowed).toBe(false);
    expect(response.status?.details.causes.map((cause) => cause.field)).toEqual(['spec.source', 'spec.volumeSnapshotClassName']);
  });

  it('volumesnapshot-update-denied.json is denied: the PVC name is immutable', async () => {
    const { response } = await send('volumesnapshot-update-denied.json');
    expect(response.status?.message).toContain(
      'spec.source.persistentVolumeClaimName: Invalid value: "other-data": field is immutable (it was "db-data")',
    );
  });

  it('volumesnapshotclass-default.json is allowed (no cluster: no other default known)', async () => {
    expect((await send('volumesnapshotclass-default.json')).response.allowed).toBe(true);
  });

  it.each([
    ['volumesnapshotclass-warning.json', /is "True", not "true"/],
    ['volumegroupsnapshot-empty-selector-warning.json', /selects every PersistentVolumeClaim/],
  ])('%s is allowed with a warning', async (file, warning) => {
    const { response } = await send(file);
    expect(response.allowed).toBe(true);
    expect(response.warnings?.[0]).toMatch(warning);
  });
});
