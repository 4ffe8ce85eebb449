/**
 * Workload files are checked by harness/schema/workload.schema.json (ajv), the file editors use for
 * completion; and an OpenMessaging Benchmark workload file runs as it is.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { afterAll, expect, test } from 'vitest';
import { LOG_CONFIG_KEYS } from '../../core/config/log-config.js';
import { loadResults } from '../../harness/compare.js';
import { LIMITS, parseWorkloadText, validateWorkload, WORKLOAD_DEFAULTS } from '../../harness/workload.js';

const root = join(import.meta.dirname, '../..');
const schemaPath = join(root, 'harness/schema/workload.schema.json');
const schema = JSON.parse(readFileSync(schemaPath, 'utf8'));
const dir = mkdtempSync(join(tmpdir(), 'strata-omb-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// openmessaging/benchmark workloads/1-topic-1-partition-1kb.yaml (its fields, as published)
const OMB_1KB = `name: 1 topic / 1 partition / 1Kb

topics: 1
partitionsPerTopic: 1
keyDistributor: "NO_KEY"
messageSize: 1024
payloadFile: "payload/payload-1Kb.data"
subscriptionsPerTopic: 1
consumerPerSubscription: 1
producersPerTopic: 1
producerRate: 50000
consumerBacklogSizeGB: 0
testDurationMinutes: 15
`;

test('the schema file is what validation uses: a plain JSON Schema validator accepts every shipped workload as written', () => {
  const validate = new Ajv({ strict: false }).compile(schema);
  const files = readdirSync(join(root, 'harness/workloads'), { recursive: true }).map(String).filter((f) => f.endsWith('.yaml'));
  for (const f of files) expect(validate(parseYaml(readFileSync(join(root, 'harness/workloads', f), 'utf8'))), `${f}: ${JSON.stringify(validate.errors)}`).toBe(true);
  // its defaults are the defaults, its config keys LogConfig's, its maxima the LIMITS
  expect(WORKLOAD_DEFAULTS.repetitions).toBe(schema.properties.repetitions.default);
  expect(Object.keys(schema.properties.matrix.properties.config.properties).sort()).toEqual(Object.keys(LOG_CONFIG_KEYS).sort());
  expect(schema.properties.matrix.properties.recordBytes.maximum).toBe(LIMITS.recordBytesMax);
  expect(schema.properties.matrix.properties.batchRecords.maximum).toBe(LIMITS.batchRecordsMax);
  expect([schema.properties.records.maximum, schema.properties.durationSeconds.maximum, schema.properties.repetitions.maximum, schema.properties.producers.maximum, schema.properties.consumers.maximum, schema.properties.partitions.maximum])
    .toEqual([LIMITS.recordsMax, LIMITS.durationSecondsMax, LIMITS.repetitionsMax, LIMITS.producersMax, LIMITS.consumersMax, LIMITS.partitionsMax]);
  // shipped in the package for editors
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  expect(pkg.exports['./workload.schema.json']).toBe('./harness/schema/workload.schema.json');
});

test('errors come from the schema and name the file and field', () => {
  const bad = (raw: unknown) => () => validateWorkload(raw, 'w.yaml');
  expect(bad({ name: 't', matrix: { recordBytes: 0 } })).toThrow(/^workload w\.yaml: field "matrix\.recordBytes" must be between 1 and 16777216, got 0$/);
  expect(bad({ name: 't', matrix: { config: { 'flush.messages': [1, { a: 1 }] } } })).toThrow(/field "matrix\.config\.flush\.messages\[1\]" must be a string, number or boolean/);
  expect(bad({ records: 5 })).toThrow(/field "name" is required \(must be 1-100 characters/);
  expect(bad({ name: 't', producerRate: -1 })).toThrow(/field "producerRate" must be between 0 and 1000000000, got -1/);
});

test('an OpenMessaging Benchmark workload file is accepted as it is, converted to strata\'s fields', () => {
  const w = parseWorkloadText(OMB_1KB, '1-topic-1-partition-1kb.yaml');
  expect(w.name).toBe('1-topic-1-partition-1Kb');
  expect(w.matrix.recordBytes).toEqual([1024]);
  expect([w.partitions, w.producers, w.consumers, w.producerRate, w.durationSeconds, w.keyDistribution, w.payload]).toEqual([1, 1, 1, 50000, 900, 'none', 'random']);
  expect(w.description).toMatch(/^From an OpenMessaging Benchmark workload \(1 topic \/ 1 partition \/ 1Kb\): payloadFile payload\/payload-1Kb\.data: generated random payload/);
  // the rest of OMB's vocabulary
  const many = parseWorkloadText('name: m\ntopics: 10\npartitionsPerTopic: 3\nproducersPerTopic: 2\nsubscriptionsPerTopic: 2\nconsumerPerSubscription: 4\nkeyDistributor: KEY_ROUND_ROBIN\nmessageSize: 100\nproducerRate: 1000\nwarmupDurationMinutes: 1\ntestDurationMinutes: 1\n', 'm.yaml');
  expect([many.partitions, many.producers, many.consumers, many.keyDistribution, many.warmupRecords, many.durationSeconds]).toEqual([30, 20, 2, 'sequential', 60000, 60]);
  expect(many.description).toMatch(/topics 10 folded into one topic; consumerPerSubscription 4/);
  // what strata cannot do is refused, naming the field
  expect(() => parseWorkloadText('name: b\nconsumerBacklogSizeGB: 1\n', 'b.yaml')).toThrow(/field "consumerBacklogSizeGB" must be 0: strata bench has no backlog-drain phase, got 1/);
  expect(() => parseWorkloadText('name: c\npartitions: 2\npartitionsPerTopic: 3\n', 'c.yaml')).toThrow(/field "partitionsPerTopic" and "partitions" both set the same thing/);
  expect(() => parseWorkloadText('name: d\ntopics: 100\npartitionsPerTopic: 100\n', 'd.yaml')).toThrow(/field "partitions" must be between 1 and 1024, got 10000 \(after converting the OpenMessaging Benchmark fields\)/);
  expect(() => parseWorkloadText('name: e\nmessageSize: big\n', 'e.yaml')).toThrow(/field "messageSize" must be an integer, got "big"/);
});

test('`strata bench` runs the OMB file itself', () => {
  const file = join(dir, '1-topic-1-partition-1kb.yaml');
  writeFileSync(file, OMB_1KB);
  const out = join(dir, 'out');
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'cli/main.ts'), 'bench', '--workload', file, '--quick', '--repetitions', '1', '--no-baselines', '--no-charts', '--progress', 'none', '--data-dir', dir, '--out', out],
    { cwd: root, encoding: 'utf8', timeout: 120_000, env: { ...process.env, CI: 'true' } });
  expect(r.status, r.stderr).toBe(0);
  const results = loadResults(join(out, 'results.json'));
  expect(results.cells.map((c) => [c.id, c.status])).toEqual([['pwrite/buffered/none/none/r1024/b100', 'ok']]);
  expect(results.workload.producerRate).toBe(50000);
  expect(readFileSync(join(out, 'report.md'), 'utf8')).toContain('From an OpenMessaging Benchmark workload (1 topic / 1 partition / 1Kb)');
});
