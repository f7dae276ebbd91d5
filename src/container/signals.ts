import { constants } from 'node:os';
import { invalidArgument } from '../util/errors.js';

const SIGNALS = constants.signals as Record<string, number>;

/**
 * Parses a signal as Docker accepts it: "SIGTERM", "TERM", "term", "15".
 * Returns the canonical name ("SIGTERM"). Unknown signals are InvalidArgument.
 */
export function parseSignal(input: string | number): string {
  const raw = String(input).trim();
  if (/^\d+$/.test(raw)) {
    const num = Number(raw);
    const name = Object.keys(SIGNALS).find((k) => SIGNALS[k] === num);
    if (!name || num === 0) throw invalidArgument(`Invalid signal: ${raw}`);
    return name;
  }
  const upper = raw.toUpperCase();
  const name = upper.startsWith('SIG') ? upper : `SIG${upper}`;
  if (!(name in SIGNALS)) throw invalidArgument(`Invalid signal: ${raw}`);
  return name;
}

export function signalNumber(name: string): number {
  return SIGNALS[name] ?? 0;
}
