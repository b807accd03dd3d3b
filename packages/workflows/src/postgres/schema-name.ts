export const DEFAULT_SCHEMA = 'mynakit_workflows';
// Lower-case identifiers only, so the name never needs escaping and never differs between quoted and unquoted use.
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** The schema name, checked (throws on a name that would need quoting). */
export function checkSchemaName(schema: string = DEFAULT_SCHEMA): string {
  if (!SCHEMA_NAME.test(schema)) {
    throw new Error(`invalid schema name "${schema}": use lower-case letters, digits and _ (at most 63)`);
  }
  return schema;
}

/** The advisory-lock name every migration of a schema takes, so that they run one at a time. */
export function lockKey(schema: string): string {
  return `mynakit-workflows:${schema}`;
}
