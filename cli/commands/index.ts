/** Every CLI command, one line each. */
import type { Command } from 'commander';
import { register as bench } from './bench.js';
import { register as compare } from './compare.js';

type Register = (program: Command) => void;

const commands: Register[] = [
  bench,
  compare,
];

export function registerCommands(program: Command): void {
  for (const register of commands) register(program);
}
