/**
 * docs/broker.md's table of APIs is what the broker advertises: a broker started here is asked
 * ApiVersions and the table rendered from its answer must be the one in the doc (`npm run
 * docs:apis` rewrites it), and the doc's "Not done" list calls none of the APIs it serves not advertised.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { apiName } from '../../broker/protocol/api-keys.js';
import { BROKER_DOC, advertisedApis, withApiTable, type AdvertisedApi } from '../../scripts/docs-apis.js';

describe('docs/broker.md and what the broker advertises', () => {
  let apis: AdvertisedApi[] = [];
  const doc = readFileSync(BROKER_DOC, 'utf8');

  test('the API table is current (else: npm run docs:apis)', async () => {
    apis = await advertisedApis();
    expect(apis.length).toBeGreaterThan(10);
    const current = withApiTable(doc, apis);
    const stale = doc.split('\n').filter((line) => line.startsWith('| ') && !current.includes(line));
    const missing = current.split('\n').filter((line) => line.startsWith('| ') && !doc.includes(line));
    expect({ stale, missing }, 'docs/broker.md is stale: run `npm run docs:apis`').toEqual({ stale: [], missing: [] });
    expect(current).toBe(doc);
  });

  test('"Not done" calls no API the broker serves not advertised', () => {
    expect(apis.length).toBeGreaterThan(0);
    const start = doc.indexOf('## Not done');
    expect(start).toBeGreaterThan(0);
    const end = doc.indexOf('\n## ', start + 1);
    const bullets = doc.slice(start, end < 0 ? undefined : end).split(/\n- /).filter((b) => /not (advertised|served|supported|implemented)/i.test(b));
    const served = apis.map((a) => apiName(a.apiKey));
    expect(bullets.flatMap((b) => served.filter((name) => new RegExp(`\\b${name}\\b`).test(b)).map((name) => `${name}: ${b.slice(0, 80)}`))).toEqual([]);
  });
});
