import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REVIEW_PATHS } from '../../src/app.ts';
import { familyFor, type GroupVersionResource } from '../../src/rules/table.ts';
import { checkAnswer, outcomeOf } from './support/answers.ts';
import { describeTally, openHarness, parsedAsServer, type FuzzHarness } from './support/harness.ts';
import { mutate, mutateText, nested, sizesFor, textMutation, toJson, type Heavy, type ValueMutation } from './support/mutations.ts';
import { smallJson } from './support/schema-arbitrary.ts';
import { reviewFrom } from '../../testkit/captures.ts';
import { mutatedReviewArbitrary, reviewArbitrary } from './support/review-arbitrary.ts';
import { FUZZ_RUNS, FUZZ_SEED, fuzzParameters, fuzzTimeoutMs } from './support/settings.ts';

/**
 * Fuzzing through app.inject(): reviews generated from the schemas, then mutated on
 * the value and on the text. Whatever arrives, the answer is a well-formed AdmissionReview for
 * the review sent or a 4xx JSON error from the catalogue; never a 5xx, never a crash.
 */
let harness: FuzzHarness;

beforeAll(async () => {
  harness = await openHarness();
});

afterAll(async () => {
  await harness.close();
  // The figures for docs/reliability.md.
  console.log(`fuzz (seed ${FUZZ_SEED}, ${FUZZ_RUNS} runs a property): ${describeTally(harness.tally)}`);
});

function expectNoCrash(): void {
  expect(harness.crashes).toEqual([]);
  expect(harness.errorLogs).toEqual([]);
}

async function exchange(body: string | Buffer, options: { method?: string; url?: string; contentType?: string | null } = {}) {
  const answer = await harness.send({ body, ...options });
  checkAnswer(answer, { method: options.method ?? 'POST', parsed: parsedAsServer(body) });
  harness.count(outcomeOf(answer));
  return answer;
}

describe('reviews generated from the schemas', () => {
  it(
    'as generated, get a decision (200), except an UPDATE without its old object (400)',
    async () => {
      await fc.assert(
        fc.asyncProperty(reviewArbitrary, async (review) => {
          const text = toJson(review);
          const answer = await exchange(text);
          const { operation, oldObject, resource } = review.request;
          const missingOld = operation === 'UPDATE' && oldObject === null && familyFor(resource as GroupVersionResource) !== undefined;
          expect(answer.statusCode, answer.body).toBe(missingOld ? 400 : 200);
        }),
        fuzzParameters(),
      );
      expectNoCrash();
    },
    fuzzTimeoutMs(2),
  );

  it(
    'mutated anywhere (types, nulls, missing and extra fields, huge, deep, unicode), get a review or a 4xx',
    async () => {
      await fc.assert(
        fc.asyncProperty(mutatedReviewArbitrary, async ([review, mutations]) => {
          await exchange(toJson(mutate(review, mutations)));
        }),
        fuzzParameters(),
      );
      expectNoCrash();
    },
    fuzzTimeoutMs(10),
  );

  it(
    'mutated as text (duplicate keys, truncation, stray bytes, BOM, prototype keys), get a review or a 4xx',
    async () => {
      const contentType = fc.oneof(
        { weight: 6, arbitrary: fc.constant('application/json') },
        {
          weight: 1,
          arbitrary: fc.constantFrom(
            'application/json; charset=utf-8',
            'Application/JSON',
            'text/plain',
            'application/x-www-form-urlencoded',
            'application/merge-patch+json',
            '*/*',
            '',
          ),
        },
      );
      await fc.assert(
        fc.asyncProperty(reviewArbitrary, textMutation, contentType, async (review, mutation, type) => {
          await exchange(mutateText(toJson(review), mutation), { contentType: type });
        }),
        fuzzParameters(),
      );
      expectNoCrash();
    },
    fuzzTimeoutMs(2),
  );

  it(
    'sent with any method to any path, get a review only by POST to a review path',
    async () => {
      const method = fc.constantFrom('POST', 'POST', 'GET', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD');
      const path = fc.oneof(
        fc.constantFrom(...REVIEW_PATHS),
        fc.constantFrom(...REVIEW_PATHS).chain((known) => fc.webQueryParameters().map((query) => `${known}?${query}`)),
        fc.constantFrom('/', '/validate/', '//validate', '/VALIDATE', '/validate/../validate', '/metrics', '/readyz', '/%00'),
        fc.webPath(),
      );
      await fc.assert(
        fc.asyncProperty(reviewArbitrary, method, path, async (review, verb, url) => {
          const answer = await exchange(toJson(review), { method: verb, url: url === '' ? '/' : url });
          if (answer.statusCode === 200) expect(verb === 'POST' && isReviewPath(url), `${verb} ${url}`).toBe(true);
        }),
        fuzzParameters(),
      );
      expectNoCrash();
    },
    fuzzTimeoutMs(2),
  );
});

/** The client resolves the path as a URL does (`/a/../validate` is `/validate`) before sending it. */
function isReviewPath(url: string): boolean {
  let path = url.split('?')[0] ?? '';
  try {
    path = new URL(url === '' ? '/' : url, 'https://localhost').pathname;
  } catch {
    // not a URL: inject sends it as it is
  }
  return REVIEW_PATHS.some((known) => path === known);
}

/** Noise: fields no schema names, added anywhere, with any value, huge or deep. */
const noiseField: fc.Arbitrary<ValueMutation> = fc
  .record({
    at: fc.nat(),
    payload: smallJson,
    heavy: fc.oneof(
      { weight: 3, arbitrary: fc.constant<Heavy>('none') },
      { weight: 1, arbitrary: fc.constantFrom<Heavy>('deep-nesting', 'huge-array', 'huge-string') },
    ),
  })
  .chain((field) =>
    sizesFor(field.heavy).map((size) => ({ ...field, size, kind: 'extra-field' as const, key: `x-fuzz-noise-${field.at % 7}` })),
  );
const noise: fc.Arbitrary<ValueMutation[]> = fc.array(noiseField, { minLength: 1, maxLength: 4 });

describe('failing open', () => {
  it(
    'noise in a denied review never turns it into an allowed one',
    async () => {
      let denied = 0;
      await fc.assert(
        fc.asyncProperty(reviewArbitrary, noise, async (review, mutations) => {
          const first = await exchange(toJson(review));
          if (first.statusCode !== 200 || outcomeOf(first) !== 'denied') return;
          denied += 1;
          // In the objects, where the rules look; the same noise in both, as an UPDATE that keeps it.
          const { object, oldObject } = review.request;
          const request = {
            ...review.request,
            object: mutate(object, mutations),
            ...(oldObject ? { oldObject: mutate(oldObject, mutations) } : {}),
          };
          const noisy = await exchange(toJson({ ...review, request }));
          expect(outcomeOf(noisy), `${first.body}\n${noisy.body}`).not.toBe('allowed');
        }),
        fuzzParameters(),
      );
      expect(denied).toBeGreaterThan(FUZZ_RUNS / 10);
      expectNoCrash();
    },
    fuzzTimeoutMs(4),
  );
});

describe('what the fuzzer found, kept as examples', () => {
  const bothSources = (extra: unknown) =>
    reviewFrom('02', (review) => {
      (review.request.object as { spec: { source: object } }).spec.source = {
        persistentVolumeClaimName: 'a',
        volumeSnapshotContentName: 'b',
        extra,
      };
    });

  it('an unknown resource with a field the schema does not name is allowed with a warning', async () => {
    const review = reviewFrom('02', (body) => {
      body.request.resource = { group: 'example.com', version: 'v1', resource: 'widgets', extra: 'x' };
    });
    const answer = await exchange(JSON.stringify(review));
    expect(answer.statusCode).toBe(200);
    expect(outcomeOf(answer)).toBe('allowed');
  });

  it.each([1_000, 10_000, 100_000])('a value nested %i deep is refused with a 400 before the rules see it', async (depth) => {
    const answer = await exchange(toJson(bothSources(nested(depth))));
    expect(answer.statusCode).toBe(400);
    expect(answer.body).toContain('nests deeper than 100 levels');
  });

  it('an UPDATE that keeps a deeply nested selector field is refused with a 400 before it is compared', async () => {
    const deep = nested(10_000);
    const review = reviewFrom('06', (body) => {
      (body.request.object as { spec: { source: Record<string, unknown> } }).spec.source.extra = deep;
      (body.request.oldObject as { spec: { source: Record<string, unknown> } }).spec.source.extra = deep;
    });
    expect((await exchange(toJson(review))).statusCode).toBe(400);
  });

  it('a class parameter named __proto__ or constructor, legal in Kubernetes, is decided, and pollutes nothing', async () => {
    const review = reviewFrom('01', (body) => {
      const object = body.request.object as { parameters?: Record<string, string> };
      object.parameters = JSON.parse('{"__proto__": "x", "constructor": "{\\"prototype\\": 1}"}') as Record<string, string>;
    });
    const text = JSON.stringify(review);
    expect(text).toContain('"__proto__":"x"');
    const answer = await exchange(text);
    expect(answer.statusCode).toBe(200);
    expect(outcomeOf(answer)).toBe(outcomeOf(await exchange(JSON.stringify(reviewFrom('01')))));
    const polluting = reviewFrom('01', (body) => {
      (body.request.object as { parameters?: unknown }).parameters = JSON.parse('{"__proto__": {"polluted": "yes"}}');
    });
    await exchange(JSON.stringify(polluting));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('nesting well beyond any real review (80 levels; real ones have about 10) is still decided', async () => {
    const answer = await exchange(toJson(bothSources(nested(80))));
    expect(answer.statusCode).toBe(200);
    expect(outcomeOf(answer)).toBe('denied');
  });
});
