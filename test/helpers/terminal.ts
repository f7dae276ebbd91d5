import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { BERTH, type TestDaemon } from './daemon.js';

export const hasTmux = spawnSync('tmux', ['-V']).status === 0;

/**
 * A terminal of our own: tmux on a private socket, running the berth CLI (or,
 * with `docker`, the stock docker CLI) against the test daemon. The command's
 * exit code shows on the screen as EXIT=n.
 */
export class Terminal {
  private readonly sock: string;
  constructor(
    private readonly d: TestDaemon,
    name: string,
    private readonly client: 'berth' | 'docker' = 'berth',
  ) {
    this.sock = join(d.execRoot, `tmux-${name}.sock`);
  }
  start(args: string[], size = { cols: 100, rows: 30 }): void {
    const argv = this.client === 'berth' ? [process.execPath, BERTH, '-H', this.d.host, ...args] : ['docker', '-H', this.d.host, ...args];
    const cmd = argv.map((a) => `'${a}'`).join(' ');
    const r = spawnSync('tmux', ['-S', this.sock, 'new-session', '-d', '-x', String(size.cols), '-y', String(size.rows), `${cmd}; echo EXIT=$?; sleep 600`]);
    assert.equal(r.status, 0, r.stderr?.toString());
  }
  keys(...keys: string[]): void {
    spawnSync('tmux', ['-S', this.sock, 'send-keys', ...keys]);
  }
  resize(cols: number, rows: number): void {
    spawnSync('tmux', ['-S', this.sock, 'resize-window', '-x', String(cols), '-y', String(rows)]);
  }
  screen(): string {
    return spawnSync('tmux', ['-S', this.sock, 'capture-pane', '-p'], { encoding: 'utf8' }).stdout;
  }
  /** Waits until the screen matches; fails with the screen after a generous deadline. */
  async waitFor(re: RegExp): Promise<string> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const text = this.screen();
      if (re.test(text)) return text;
      if (Date.now() > deadline) assert.fail(`screen never matched ${re}:\n${text}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  /**
   * Types a command until the screen matches: for effects that arrive
   * asynchronously (a resize travels CLI → daemon → conmon → pty), so one
   * command typed too early would never show them.
   */
  async typeUntil(command: string, re: RegExp): Promise<string> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      this.keys(command, 'Enter');
      const settle = Date.now() + 1000;
      while (Date.now() < settle) {
        const text = this.screen();
        if (re.test(text)) return text;
        await new Promise((r) => setTimeout(r, 50));
      }
      if (Date.now() > deadline) assert.fail(`screen never matched ${re}:\n${this.screen()}`);
    }
  }
  stop(): void {
    spawnSync('tmux', ['-S', this.sock, 'kill-server']);
  }
}
