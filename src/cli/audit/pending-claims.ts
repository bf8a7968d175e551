import type { KubeConfig } from '@kubernetes/client-node';
import { ApiStatusError } from '../../cluster/api-request.ts';
import { objectReader } from '../../cluster/object-reader.ts';
import { WebhookError } from '../../errors.ts';
import { isRecord, stringAt } from '../../rules/object-access.ts';
import { familyFor } from '../../rules/table.ts';
import type { ResourceFamily } from '../../rules/table.ts';
import type { KubeObject, RuleContext } from '../../rules/types.ts';
import type { SchemaSet } from '../../schemas.ts';
import { creationLookups, forEachPage } from '../cluster-objects.ts';
import type { ListOptions } from '../cluster-objects.ts';
import { auditObject } from './findings.ts';
import type { AuditObject } from './findings.ts';

/**
 * Stored PVCs that are Pending with a data source (a restore or a clone): each read against what
 * its source is now, with the webhook's rules 20–22 (one GET per object its rules name, as the
 * webhook reads them), so that a restore that can never be provisioned is reported with its
 * reason instead of waiting in a provisioner's events.
 */
export interface ClaimScan {
  /** PVCs listed; null when they could not be listed (forbidden): then the note says so. */
  readonly listed: number | null;
  readonly findings: readonly AuditObject[];
  readonly note: string | undefined;
}

const CLAIMS_PATH = '/api/v1/persistentvolumeclaims';
function claimFamily(): ResourceFamily {
  const family = familyFor({ group: '', version: 'v1', resource: 'persistentvolumeclaims' });
  if (family === undefined) throw new WebhookError('INTERNAL', 'no PersistentVolumeClaim family in the rule table');
  return family;
}

function isPendingRestoreOrClone(object: KubeObject): boolean {
  const spec = object.spec;
  return stringAt(object, 'status.phase') === 'Pending' && isRecord(spec) && (isRecord(spec.dataSource) || isRecord(spec.dataSourceRef));
}

export async function scanPendingClaims(
  kubeConfig: KubeConfig,
  context: RuleContext,
  options: { list: ListOptions; schemas: SchemaSet },
): Promise<ClaimScan> {
  const family = claimFamily();
  const pending: KubeObject[] = [];
  let listed = 0;
  try {
    await forEachPage(kubeConfig, CLAIMS_PATH, options.list, (items) => {
      listed += items.length;
      pending.push(...items.filter(isPendingRestoreOrClone));
    });
  } catch (error) {
    if (error instanceof ApiStatusError && error.status === 403) {
      return { listed: null, findings: [], note: 'persistentvolumeclaims not checked: listing them is forbidden to this identity' };
    }
    throw error;
  }
  const read = objectReader(kubeConfig, { timeoutMs: options.list.timeoutMs });
  const findings: AuditObject[] = [];
  for (const object of pending) {
    const objects = await creationLookups(family, object, read);
    const finding = auditObject({ family, version: 'v1', object }, { ...context, objects }, options.schemas);
    if (finding !== undefined) findings.push(finding);
  }
  return { listed, findings, note: undefined };
}
