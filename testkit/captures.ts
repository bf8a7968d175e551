import { readdirSync, readFileSync } from 'node:fs';

/** The AdmissionReviews a real kube-apiserver sent (test/fixtures/captures, see its README). */
export const CAPTURES_DIRECTORY = new URL('../test/fixtures/captures/', import.meta.url);

export interface Capture {
  readonly file: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: Record<string, unknown> & { request: Record<string, unknown> };
}

export function captures(): Capture[] {
  return readdirSync(CAPTURES_DIRECTORY)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => ({ file, ...(JSON.parse(readFileSync(new URL(file, CAPTURES_DIRECTORY), 'utf8')) as Omit<Capture, 'file'>) }));
}

export function capture(prefix: string): Capture {
  const found = captures().find((entry) => entry.file.startsWith(prefix));
  if (found === undefined) throw new Error(`no capture ${prefix}* in ${CAPTURES_DIRECTORY.pathname}`);
  return found;
}

/** A capture's review with its object edited: a deep copy, so tests cannot leak into each other. */
export function reviewFrom(prefix: string, edit: (review: Capture['body']) => void = () => undefined): Capture['body'] {
  const body = structuredClone(capture(prefix).body);
  edit(body);
  return body;
}
