import { reviewFrom } from '../../../testkit/captures.ts';
import type { Review } from './load.ts';

/** A VolumeSnapshot CREATE the webhook allows (captured from a kube-apiserver). */
export const ALLOWED_REVIEW: Review = { body: JSON.stringify(reviewFrom('02')), expected: 'allowed' };

/** The same review with both sources set: denied by rule 1, whatever the class caches hold. */
export const DENIED_REVIEW: Review = {
  body: JSON.stringify(
    reviewFrom('02', (review) => {
      (review.request.object as { spec: { source: object } }).spec.source = {
        persistentVolumeClaimName: 'a',
        volumeSnapshotContentName: 'b',
      };
    }),
  ),
  expected: 'denied',
};

/** The traffic of the fault tests: one of each, so a wrong decision shows as well as a failure. */
export const ALLOWED_AND_DENIED: readonly Review[] = [ALLOWED_REVIEW, DENIED_REVIEW];
