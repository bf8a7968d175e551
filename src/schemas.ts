import { readdirSync, readFileSync } from 'node:fs';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { schemaValidators } from './schema-validators.ts';
import { WebhookError } from './errors.ts';

/**
 * The JSON Schemas in <repo>/schemas, compiled once with Ajv. This file sits one level below the
 * repository root both as src/schemas.ts and as dist/schemas.js, so the same URL finds them.
 */
const SCHEMA_DIRECTORY = new URL('../schemas/', import.meta.url);

export interface SchemaSet {
  /** The compiled validator of a schema, by its $id (e.g. "volumesnapshots.schema.json"). */
  validator(id: string): ValidateFunction;
  /** The raw schema, e.g. to list the config flags. */
  schema(id: string): Record<string, unknown>;
}

let loaded: SchemaSet | undefined;

export function loadSchemas(): SchemaSet {
  loaded ??= compileSchemas();
  return loaded;
}

function compileSchemas(): SchemaSet {
  const raw = new Map<string, Record<string, unknown>>();
  for (const file of readdirSync(SCHEMA_DIRECTORY).filter((name) => name.endsWith('.schema.json'))) {
    raw.set(file, JSON.parse(readFileSync(new URL(file, SCHEMA_DIRECTORY), 'utf8')) as Record<string, unknown>);
  }
  const validatorOf = schemaValidators(raw);
  const compiled = new Map<string, ValidateFunction>();
  return {
    validator(id) {
      let validate = compiled.get(id);
      if (validate === undefined) {
        validate = validatorOf(id);
        if (validate === undefined) throw new WebhookError('SCHEMA_MISSING', id, SCHEMA_DIRECTORY.pathname);
        compiled.set(id, validate);
      }
      return validate;
    },
    schema(id) {
      const schema = raw.get(id);
      if (schema === undefined) throw new WebhookError('SCHEMA_MISSING', id, SCHEMA_DIRECTORY.pathname);
      return schema;
    },
  };
}

/** Ajv's errors as one sentence a person can act on: `request.uid: must be string`. */
export function describeSchemaErrors(errors: readonly ErrorObject[] | null | undefined, root: string): string {
  const texts = (errors ?? []).slice(0, 5).map((error) => {
    const path = `${root}${error.instancePath.replace(/\//g, '.')}`;
    const detail = error.keyword === 'enum' ? `must be one of ${JSON.stringify(error.params.allowedValues)}` : error.message;
    return `${path}: ${detail ?? 'is invalid'}`;
  });
  return texts.length > 0 ? texts.join('; ') : `${root}: is invalid`;
}
