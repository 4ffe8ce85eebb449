/** Runs fio with a JSON report; undefined (with the reason printed) when fio is not installed. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { join } from 'node:path';

export interface FioJob {
  name: string;
  directory: string;
  args: string[];
}

export function fioAvailable(): boolean {
  return spawnSync('fio', ['--version'], { encoding: 'utf8' }).status === 0;
}

export function runFio(job: FioJob): any | undefined {
  if (!fioAvailable()) {
    process.stderr.write('fio not found: install it (apt-get install -y fio) for the hardware baseline; continuing without it\n');
    return undefined;
  }
  const r = spawnSync('fio', [`--name=${job.name}`, `--directory=${job.directory}`, '--output-format=json', ...job.args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  // fio leaves its data file behind; a later run would overwrite written blocks instead of laying
  // out a fresh file, which is cheaper than what the strata runs beside it do
  for (const f of fs.readdirSync(job.directory)) if (f.startsWith(`${job.name}.`)) fs.rmSync(join(job.directory, f), { force: true });
  if (r.status !== 0) throw new Error(`fio ${job.args.join(' ')} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.slice(r.stdout.indexOf('{')));
}
