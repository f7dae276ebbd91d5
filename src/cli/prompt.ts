/**
 * Reading one answer from the user's terminal (`berth login` without -u/-p).
 * With `echo` false the terminal is put in raw mode so nothing typed shows,
 * as docker's password prompt; Enter ends the answer, Backspace erases,
 * Ctrl-C and Ctrl-D give up. Callers check the terminal first (isTerminal).
 */
import type { Io } from './command.js';
import { CliError } from './command.js';

type TtyIn = NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (on: boolean) => void };

export function isTerminal(io: Io): boolean {
  return (io.in as TtyIn).isTTY === true;
}

export async function prompt(io: Io, question: string, echo: boolean): Promise<string> {
  const input = io.in as TtyIn;
  io.out.write(question);
  input.setRawMode?.(true);
  let answer = '';
  // Listen for data rather than iterate: ending an iteration early would
  // destroy stdin, and the password prompt follows the username prompt.
  const finished = new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer | string): void => {
      for (const ch of typeof chunk === 'string' ? chunk : chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done(() => resolve(answer));
        if (ch === '\u0003' || ch === '\u0004') return done(() => reject(new CliError('', 130)));
        if (ch === '\u007f' || ch === '\b') {
          if (answer.length > 0) {
            answer = answer.slice(0, -1);
            if (echo) io.out.write('\b \b');
          }
          continue;
        }
        answer += ch;
        if (echo) io.out.write(ch);
      }
    };
    const onEnd = (): void => done(() => resolve(answer));
    const done = (settle: () => void): void => {
      input.off('data', onData);
      input.off('end', onEnd);
      input.pause();
      settle();
    };
    input.on('data', onData);
    input.once('end', onEnd);
    input.resume();
  });
  try {
    return await finished;
  } finally {
    input.setRawMode?.(false);
    io.out.write('\n');
  }
}
