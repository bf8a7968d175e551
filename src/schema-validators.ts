import { Ajv, type ValidateFunction } from 'ajv';

export const AJV_OPTIONS = { allErrors: true, strict: true, allowUnionTypes: true } as const;

/**
 * The schemas' validators, each compiled by Ajv when first asked for. The production build
 * (tools/bundle.ts) replaces this module by the same validators compiled at build time, with the
 * same options, so that the server spends no start-up time (about 100 ms) compiling them.
 */
export function schemaValidators(schemas: ReadonlyMap<string, Record<string, unknown>>): (id: string) => ValidateFunction | undefined {
  const ajv = new Ajv(AJV_OPTIONS);
  for (const [id, schema] of schemas) ajv.addSchema(schema, id);
  return (id) => ajv.getSchema(id);
}
