import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { applyOverrides, expandMatrix } from '../../harness/matrix.js';
import { loadWorkloadFile, parseWorkloadText, validateWorkload, workloadHash, WORKLOAD_DEFAULTS } from '../../harness/workload.js';

const bad = (raw: unknown) => () => validateWorkload(raw, 'test.yaml');

describe('workload files', () => {
  test('fills defaults and turns scalar axes into lists', () => {
    const w = parseWorkloadText('name: t\nrecords: 500\nmatrix:\n  engine: pwrite\n  codec: [none, lz4]\n  config:\n    flush.messages: [1, 1000]\n', 't.yaml');
    expect(w.records).toBe(500);
    expect(w.repetitions).toBe(WORKLOAD_DEFAULTS.repetitions);
    expect(w.matrix.engine).toEqual(['pwrite']);
    expect(w.matrix.codec).toEqual(['none', 'lz4']);
    expect(w.matrix.config).toEqual({ 'flush.messages': ['1', '1000'] });
    expect(w.matrix.recordBytes).toEqual([1024]);
  });

  test('JSON files parse too', () => {
    const w = parseWorkloadText(JSON.stringify({ name: 'j', payload: 'random', matrix: { batchRecords: [1, 10] } }), 'w.json');
    expect(w.payload).toBe('random');
    expect(w.matrix.batchRecords).toEqual([1, 10]);
  });

  test('bad fields get an error naming the field and the file', () => {
    expect(bad({ name: 't', recods: 5 })).toThrow(/test\.yaml: field "recods" is not a workload field/);
    expect(bad({ name: 't', records: 0 })).toThrow(/field "records" must be between 1/);
    expect(bad({ name: 't', records: 'many' })).toThrow(/field "records" must be an integer/);
    expect(bad({ name: 't', payload: 'xml' })).toThrow(/field "payload" must be one of random, json, repetitive/);
    expect(bad({ name: 't', matrix: { recordBytes: [100, -1] } })).toThrow(/field "matrix.recordBytes\[1\]" must be between 1/);
    expect(bad({ name: 't', matrix: { engine: [] } })).toThrow(/field "matrix.engine" must not be an empty list/);
    expect(bad({ name: 't', matrix: { engines: ['pwrite'] } })).toThrow(/field "matrix.engines" is not a matrix axis/);
    expect(bad({ name: 't', matrix: { config: { 'flush.mesages': 1 } } })).toThrow(/field "matrix.config.flush.mesages" is not a log config key/);
    expect(bad({ name: 'a b' })).toThrow(/field "name"/);
    expect(bad({ name: 't', coldRead: 'yes' })).toThrow(/field "coldRead" must be true or false/);
    expect(bad(['name'])).toThrow(/must be a mapping/);
  });

  test('YAML syntax errors name the file', () => {
    expect(() => parseWorkloadText('name: [unclosed\n', 'broken.yaml')).toThrow(/workload broken\.yaml: cannot parse/);
    expect(() => loadWorkloadFile('/nonexistent/w.yaml')).toThrow(/workload \/nonexistent\/w\.yaml: cannot read/);
  });

  test('every shipped workload file is valid', () => {
    const dir = join(import.meta.dirname, '../../harness/workloads');
    const files = readdirSync(dir, { recursive: true }).map(String).filter((f) => /\.(ya?ml|json)$/.test(f));
    expect(files.length).toBeGreaterThanOrEqual(2);
    for (const f of files) expect(() => loadWorkloadFile(join(dir, f)), f).not.toThrow();
  });

  test('the hash changes with any field and not with key order', () => {
    const a = validateWorkload({ name: 't', records: 10, seed: 3 }, 'a');
    const b = validateWorkload({ seed: 3, records: 10, name: 't' }, 'b');
    const c = validateWorkload({ name: 't', records: 11, seed: 3 }, 'c');
    expect(workloadHash(a)).toBe(workloadHash(b));
    expect(workloadHash(a)).not.toBe(workloadHash(c));
  });
});

describe('matrix', () => {
  test('expands the cartesian product with stable ids', () => {
    const w = validateWorkload({ name: 't', matrix: { engine: ['pwrite', 'fsync-group'], codec: ['none', 'lz4'], batchRecords: [1, 100], config: { 'flush.messages': [1, 10] } } }, 't');
    const cells = expandMatrix(w.matrix);
    expect(cells).toHaveLength(16);
    expect(new Set(cells.map((c) => c.id)).size).toBe(16);
    expect(cells[0]!.id).toBe('pwrite/buffered/none/none/r1024/b1/flush.messages=1');
    expect(cells[15]!.id).toBe('fsync-group/buffered/none/lz4/r1024/b100/flush.messages=10');
    expect(cells.every((c) => ['1', '10'].includes(c.config['flush.messages']!))).toBe(true);
  });

  test('command-line overrides replace an axis', () => {
    const w = validateWorkload({ name: 't', matrix: { engine: ['pwrite', 'fsync-group'], codec: ['none', 'lz4'] } }, 't');
    const o = applyOverrides(w, { engine: ['fsync-per-write'], recordBytes: [100, 1000] });
    const cells = expandMatrix(o.matrix);
    expect(cells.map((c) => c.engine)).toEqual(Array(4).fill('fsync-per-write'));
    expect(cells.map((c) => c.recordBytes).sort()).toEqual([100, 100, 1000, 1000]);
  });
});
