import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { AppOptions } from '../../src/app.ts';
import { createTestApp } from '../support/app.ts';
import { reviewFrom } from '../../testkit/captures.ts';

/** Denials at info with who, what and why; allows only at debug; never the object itself. */
const allowed = reviewFrom('02');
const denied = reviewFrom('02', (review) => {
  (review.request.object as { spec: { source: object } }).spec.source = {};
});

/** The decision lines the app writes for one allowed and one denied review, at this level. */
async function decisionLines(level: string, options: Partial<AppOptions> = {}): Promise<Array<Record<string, unknown>>> {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      done();
    },
  });
  const { app } = await createTestApp({ logger: pino({ level, base: { name: 'snapshot-webhook' } }, sink), ...options });
  for (const payload of [allowed, denied]) {
    await app.inject({
      method: 'POST',
      url: '/validate',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify(payload),
    });
  }
  await app.close();
  return lines.filter((line) => String(line.msg).startsWith('review '));
}

describe('decision logs', () => {
  it('logs a denial at info with uid, kind, object, user and violations, and an allow not at all', async () => {
    const decisions = await decisionLines('info');
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
    expect(decisions[0]).not.toHaveProperty('staleClassCaches');
    expect(JSON.stringify(decisions[0])).not.toContain('managedFields');
  });

  it('logs an allow at debug, without the object', async () => {
    const decisions = await decisionLines('debug');
    expect(decisions.map((line) => [line.level, line.msg])).toEqual([
      [20, 'review allowed'],
      [30, 'review denied'],
    ]);
    expect(decisions[0]).toMatchObject({ uid: allowed.request.uid, object: 'default/db-snap', violations: [] });
    expect(JSON.stringify(decisions[0])).not.toContain('managedFields');
  });

  it('says when a decision used the last known state of a class cache whose watch is down', async () => {
    const decisions = await decisionLines('info', { staleClassCaches: () => ['snapshotClasses'] });
    expect(decisions[0]).toMatchObject({ msg: 'review denied', staleClassCaches: ['snapshotClasses'] });
  });
});
