/** Every CLI command, one line each. */
import type { Command } from 'commander';
import { register as serve } from './serve.js';

type Register = (program: Command) => void;

const commands: Register[] = [
  serve,
];

export function registerCommands(program: Command): void {
  for (const register of commands) register(program);
}
