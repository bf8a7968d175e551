import { statusMessage, type ApiResponse } from '../../cluster/api-request.ts';

/**
 * What one dry run says about the path from the API server to the webhook. Pure: the answer of
 * the API server in, a verdict a person can act on out.
 */
export type CheckVerdict =
  | { readonly kind: 'passed'; readonly message: string }
  /** Worth trying again until the deadline: pods starting, a caBundle not written yet. */
  | { readonly kind: 'waiting'; readonly message: string }
  /** Trying again will not help. */
  | { readonly kind: 'failed'; readonly message: string };

/** The parts of a `failed calling webhook` error that say where the path is broken. */
const CAUSES: ReadonlyArray<readonly [RegExp, string]> = [
  [
    /no endpoints available|connection refused|no such host/i,
    'no ready webhook pod answers behind its Service (pods starting or crashing, or the image cannot be pulled): look at the pods and their events',
  ],
  [
    /x509|certificate|tls:/i,
    "the API server does not trust the webhook's certificate: the caBundle of the ValidatingWebhookConfiguration is not (yet) the CA that signed it",
  ],
  [
    /deadline exceeded|i\/o timeout|Client\.Timeout|no route to host|context canceled/i,
    "the API server cannot reach the webhook's pods in time: a NetworkPolicy, or a control-plane firewall (GKE private clusters: use port 10250 or open the port; EKS with a custom CNI: hostNetwork; see docs/install.md)",
  ],
];

export function judge(response: ApiResponse, className: string): CheckVerdict {
  const warning = response.warnings.find((text) => text.includes(className));
  if (response.status < 300) {
    if (warning !== undefined) return { kind: 'passed', message: `the API server called the webhook, which answered: ${warning}` };
    return {
      kind: 'waiting',
      message:
        "the API server accepted the dry run without the webhook's warning: it did not call the webhook for VolumeSnapshots here " +
        '(the ValidatingWebhookConfiguration is missing, or its rules, namespaceSelector, objectSelector or matchConditions leave this namespace out), ' +
        'or the call failed and failurePolicy Ignore hid it',
    };
  }
  const message = statusMessage(response.body) ?? 'no message';
  if (/admission webhook .* denied the request/.test(message))
    return { kind: 'passed', message: `the API server called the webhook, which refused the dry run: ${message}` };
  if (/failed calling webhook/.test(message)) {
    const cause = CAUSES.find(([pattern]) => pattern.test(message))?.[1] ?? 'the API server could not call the webhook';
    return { kind: 'waiting', message: `${cause}. The API server said: ${message}` };
  }
  if (response.status === 403)
    return { kind: 'failed', message: `the check may not create VolumeSnapshots here (it needs create on volumesnapshots): ${message}` };
  return { kind: 'failed', message: `the API server refused the dry run before the webhook (HTTP ${response.status}): ${message}` };
}
