/**
 * Kubernetes name formats, as apimachinery's validation defines them. A reference with a typo
 * caught here is better than a snapshot that stays Pending forever.
 */
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

interface NameFormat {
  readonly maxLength: number;
  readonly pattern: RegExp;
  /** What the pattern asks for, as apimachinery words it. */
  readonly format: string;
}

const SUBDOMAIN: NameFormat = {
  maxLength: 253,
  pattern: DNS1123_SUBDOMAIN,
  format:
    "a lowercase RFC 1123 subdomain: lower case alphanumeric characters, '-' or '.', " +
    "starting and ending with an alphanumeric character (e.g. 'my-name')",
};

const LABEL: NameFormat = {
  maxLength: 63,
  pattern: DNS1123_LABEL,
  format:
    "a lowercase RFC 1123 label: lower case alphanumeric characters or '-', " +
    "starting and ending with an alphanumeric character (e.g. 'my-namespace')",
};

function nameProblems(name: string, { maxLength, pattern, format }: NameFormat): string[] {
  if (name === '') return ['must not be empty'];
  const problems: string[] = [];
  if (name.length > maxLength) problems.push(`must be no more than ${maxLength} characters (it has ${name.length})`);
  if (!pattern.test(name)) problems.push(`must be ${format}`);
  return problems;
}

/** Problems with an object name (RFC 1123 subdomain); empty when valid. */
export const objectNameProblems = (name: string): string[] => nameProblems(name, SUBDOMAIN);

/** Problems with a namespace name (RFC 1123 label); empty when valid. */
export const namespaceProblems = (namespace: string): string[] => nameProblems(namespace, LABEL);

/** Problems with a label key: an optional DNS subdomain prefix and '/', then a name of ≤ 63. */
export function labelKeyProblems(key: string): string[] {
  const slash = key.lastIndexOf('/');
  const prefix = slash === -1 ? undefined : key.slice(0, slash);
  const name = slash === -1 ? key : key.slice(slash + 1);
  const problems: string[] = [];
  if (prefix !== undefined && (prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix))) {
    problems.push('prefix part must be a lowercase RFC 1123 subdomain (e.g. example.com/my-key)');
  }
  if (name === '' || name.length > 63 || !QUALIFIED_NAME.test(name)) {
    problems.push(
      "name part must be 1 to 63 alphanumeric characters, '-', '_' or '.', " +
        "starting and ending with an alphanumeric character (e.g. 'app.kubernetes.io/name')",
    );
  }
  return problems;
}

/** Problems with a label value: empty, or ≤ 63 characters of the qualified-name alphabet. */
export function labelValueProblems(value: string): string[] {
  if (value.length <= 63 && LABEL_VALUE.test(value)) return [];
  return [
    "must be no more than 63 characters of alphanumerics, '-', '_' or '.', " +
      'starting and ending with an alphanumeric character, or empty',
  ];
}
