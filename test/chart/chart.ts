/**
 * Renders charts/snapshot-webhook with the real helm and gives the tests typed objects.
 */
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { runHelm, type HelmOptions, type HelmResult } from '../support/helm.ts';
import type {
  Container,
  CronJob,
  Deployment,
  Job,
  K8sObject,
  LabelSelector,
  Pod,
  PolicyRule,
  Service,
  ValidatingWebhook,
  ValidatingWebhookConfiguration,
} from './k8s-types.ts';

export const CHART_DIR = fileURLToPath(new URL('../../charts/snapshot-webhook/', import.meta.url));
export const RELEASE = 'snap';
export const NAMESPACE = 'storage-system';
/** What the chart names most objects for RELEASE. */
export const FULLNAME = 'snap-snapshot-webhook';

export type Values = Record<string, unknown>;

/** A PEM certificate (the content does not matter to the chart, only its form). */
export const SAMPLE_CA_PEM = [
  '-----BEGIN CERTIFICATE-----',
  'MIIBdzCCAR2gAwIBAgIUKq0jYg8fJ2Zl0l7n3mVt2b3dC8wwCgYIKoZIzj0EAwIw',
  '-----END CERTIFICATE-----',
  '',
].join('\n');
export const SAMPLE_CA_BUNDLE = Buffer.from(SAMPLE_CA_PEM).toString('base64');

export const EXISTING_SECRET_VALUES: Values = {
  certificates: { mode: 'existingSecret', existingSecret: { name: 'my-webhook-tls', caBundle: SAMPLE_CA_BUNDLE } },
};
export const CERT_MANAGER_VALUES: Values = { certificates: { mode: 'certManager' } };

/** Ownership metadata that lets a (dry-run) install adopt an existing object of the release. */
export function ownedBy(release: string, namespace: string): { labels: Record<string, string>; annotations: Record<string, string> } {
  return {
    labels: { 'app.kubernetes.io/managed-by': 'Helm' },
    annotations: { 'meta.helm.sh/release-name': release, 'meta.helm.sh/release-namespace': namespace },
  };
}

/** `helm template` with values passed on stdin; never throws on a helm failure. */
export function helmTemplate(values: Values = {}, extraArgs: readonly string[] = [], options: HelmOptions = {}): Promise<HelmResult> {
  return runHelm(['template', RELEASE, CHART_DIR, '--namespace', NAMESPACE, '-f', '-', ...extraArgs], {
    ...options,
    input: JSON.stringify(values),
  });
}

/** `helm install --dry-run=client`: renders NOTES.txt too, without a cluster. */
export function helmInstallDryRun(values: Values = {}): Promise<HelmResult> {
  return runHelm(['install', RELEASE, CHART_DIR, '--namespace', NAMESPACE, '--dry-run=client', '-f', '-'], {
    input: JSON.stringify(values),
  });
}

export function parseManifests(text: string): K8sObject[] {
  const objects: K8sObject[] = [];
  for (const document of parseAllDocuments(text)) {
    if (document.errors.length > 0) throw new Error(`invalid YAML rendered: ${document.errors[0]?.message}`);
    const value: unknown = document.toJS();
    if (value === null || value === undefined) continue;
    objects.push(value as K8sObject);
  }
  return objects;
}

/** The objects of one render, found by kind (and name). */
export class Rendered {
  readonly objects: readonly K8sObject[];
  readonly text: string;

  constructor(text: string) {
    this.text = text;
    this.objects = parseManifests(text);
  }

  all<T extends K8sObject = K8sObject>(kind: string): T[] {
    return this.objects.filter((object) => object.kind === kind) as T[];
  }

  /** The objects of that kind that serve the webhook itself: not the install check's nor the audit's. */
  own<T extends K8sObject = K8sObject>(kind: string): T[] {
    return this.all<T>(kind).filter((object) => !/-(check|audit)(-test)?$/.test(object.metadata.name));
  }

  /** Exactly one object of that kind (and name): anything else fails the test. */
  one<T extends K8sObject = K8sObject>(kind: string, name?: string): T {
    const found = this.all<T>(kind).filter((object) => name === undefined || object.metadata.name === name);
    if (found.length !== 1) {
      const names = this.all(kind).map((object) => object.metadata.name);
      throw new Error(`expected one ${kind}${name ? ` named ${name}` : ''}, found ${found.length} (${names.join(', ')})`);
    }
    return found[0] as T;
  }

  get deployment(): Deployment {
    return this.one<Deployment>('Deployment');
  }

  get container(): Container {
    const container = this.deployment.spec.template.spec.containers.find((candidate) => candidate.name === 'webhook');
    if (!container) throw new Error('no container named webhook');
    return container;
  }

  get service(): Service {
    return this.one<Service>('Service');
  }

  get webhooks(): ValidatingWebhook[] {
    return this.one<ValidatingWebhookConfiguration>('ValidatingWebhookConfiguration').webhooks;
  }

  /** The webhook for the six snapshot resources. */
  get webhook(): ValidatingWebhook {
    const webhook = this.webhooks.find((candidate) => candidate.name === 'validate.snapshot-webhook.io');
    if (!webhook) throw new Error('no webhook validate.snapshot-webhook.io');
    return webhook;
  }

  /** The webhook for PVC restores and clones, when enabled. */
  get pvcWebhook(): ValidatingWebhook | undefined {
    return this.webhooks.find((candidate) => candidate.name === 'pvc.snapshot-webhook.io');
  }

  /** The `helm test` pods (hook: test) that call the Service; the install check's has its own tests. */
  get testPods(): Pod[] {
    return this.own<Pod>('Pod').filter((pod) => pod.metadata.annotations?.['helm.sh/hook'] === 'test');
  }
}

/** Renders or fails with helm's own message. */
export async function render(values: Values = {}, extraArgs: readonly string[] = []): Promise<Rendered> {
  const result = await helmTemplate(values, extraArgs);
  if (result.code !== 0) throw new Error(`helm template failed (${result.code}): ${result.stderr}`);
  return new Rendered(result.stdout);
}

/** Value of `--name=value` in an argument list (undefined when absent). */
export function flag(args: readonly string[] | undefined, name: string): string | undefined {
  const prefix = `--${name}=`;
  return args?.find((arg) => arg.startsWith(prefix))?.slice(prefix.length);
}

/** Whether a label selector (matchLabels and matchExpressions) selects these labels. */
export function selects(selector: LabelSelector | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector) return false;
  const actual = labels ?? {};
  const byLabels = Object.entries(selector.matchLabels ?? {}).every(([key, value]) => actual[key] === value);
  const byExpressions = (selector.matchExpressions ?? []).every((requirement) => {
    const value = actual[requirement.key];
    if (requirement.operator === 'In') return value !== undefined && (requirement.values ?? []).includes(value);
    if (requirement.operator === 'NotIn') return value === undefined || !(requirement.values ?? []).includes(value);
    if (requirement.operator === 'Exists') return value !== undefined;
    return value === undefined;
  });
  return byLabels && byExpressions;
}

/** A container port number by name or number, as the kubelet and kube-proxy resolve it. */
export function resolvePort(container: Container, port: number | string | undefined): number | undefined {
  if (typeof port === 'number') return port;
  return container.ports?.find((candidate) => candidate.name === port)?.containerPort;
}

/** Every container of every pod-bearing object in a render (Deployment, test pods, the check Job, the audit CronJob). */
export function allPodSpecs(rendered: Rendered): { owner: string; spec: Pod['spec'] }[] {
  return [
    ...rendered.all<Deployment>('Deployment').map((d) => ({ owner: `Deployment/${d.metadata.name}`, spec: d.spec.template.spec })),
    ...rendered.all<Pod>('Pod').map((p) => ({ owner: `Pod/${p.metadata.name}`, spec: p.spec })),
    ...rendered.all<Job>('Job').map((j) => ({ owner: `Job/${j.metadata.name}`, spec: j.spec.template.spec })),
    ...rendered.all<CronJob>('CronJob').map((c) => ({ owner: `CronJob/${c.metadata.name}`, spec: c.spec.jobTemplate.spec.template.spec })),
  ];
}

/** One line per (group, resource, name, verb) a render grants: easy to compare exactly. */
export function grants(rules: readonly PolicyRule[]): string[] {
  return rules
    .flatMap((rule) => {
      if (rule.nonResourceURLs !== undefined) throw new Error('a rule with nonResourceURLs');
      return product([rule.apiGroups ?? [], rule.resources ?? [], rule.resourceNames ?? ['*any*'], rule.verbs]);
    })
    .map(([group, resource, name, verb]) => `${group || 'core'} ${resource} ${name} ${verb}`)
    .sort();
}

/** Every combination of one element from each list. */
function product(lists: readonly (readonly string[])[]): string[][] {
  return lists.reduce<string[][]>((combinations, list) => combinations.flatMap((prefix) => list.map((item) => [...prefix, item])), [[]]);
}
