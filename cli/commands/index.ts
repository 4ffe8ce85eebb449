/** Every CLI command, one line each. */
import type { Command } from 'commander';
import { register as receive } from './receive.js';
import { register as send } from './send.js';

type Register = (program: Command) => void;

const commands: Register[] = [
  send,
  receive,
];

export function registerCommands(program: Command): void {
  for (const register of commands) register(program);
}
