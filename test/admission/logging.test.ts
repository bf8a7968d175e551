import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createTestApp } from '../support/app.ts';
import { reviewFrom } from '../support/captures.ts';

/** Denials at info with who, what and why; allows only at debug; never the object itself. */
describe('decision logs', () => {
  it('logs a denial at info with uid, kind, object, user and violations, and an allow not at all', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
        done();
      },
    });
    const { app } = await createTestApp({ logger: pino({ level: 'info', base: { name: 'snapshot-webhook' } }, sink) });
    const denied = reviewFrom('02', (review) => {
      (review.request.object as { spec: { source: object } }).spec.source = {};
    });
    for (const payload of [reviewFrom('02'), denied]) {
      await app.inject({ method: 'POST', url: '/validate', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(payload) });
    }
    await app.close();
    const decisions = lines.filter((line) => String(line.msg).startsWith('review '));
    expect(decisions).toHaveLength(1);
    expect(decisions[0]).toMatchObject({
      level: 30,
      name: 'snapshot-webhook',
      msg: 'review denied',
      uid: denied.request.uid,
      kind: 'VolumeSnapshot',
      object: 'default/db-snap',
      user: 'feas-admin',
    });
    expect(decisions[0]?.violations).toEqual([expect.stringMatching(/^spec\.source: Invalid value: \{\}/)]);
    expect(JSON.stringify(decisions[0])).not.toContain('managedFields');
  });
});
