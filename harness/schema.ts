/** Validating a results file against harness/schema/results.schema.json (ajv). */
import { Ajv } from 'ajv';
import { StrataError } from '../core/errors.js';
import schema from './schema/results.schema.json' with { type: 'json' };

const ajv = new Ajv({ allErrors: true, strict: false });
const validate = ajv.compile(schema);

export { schema as resultsSchema };

/** Throws an error listing each violation with its JSON path. */
export function validateResults(value: unknown, source = 'results'): void {
  if (validate(value)) return;
  const problems = (validate.errors ?? []).slice(0, 10).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`);
  throw new StrataError('INVALID_ARGUMENT', `${source} does not match the results schema: ${problems.join('; ')}`);
}
