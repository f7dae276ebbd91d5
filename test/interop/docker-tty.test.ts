import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { TestDaemon } from '../helpers/daemon.js';
import { Terminal, hasTmux } from '../helpers/terminal.js';

/** The stock docker CLI in a real terminal against berthd: run -it, detach keys, attach. */
const hasDocker = spawnSync('docker', ['--version']).status === 0;
const skip = (!hasDocker && 'docker CLI not installed') || (!hasTmux && 'tmux not installed');

let d: TestDaemon;
before(async () => {
  if (!skip) d = await TestDaemon.start({ busybox: true });
});
after(async () => {
  await d?.stop();
});

test('docker run -it: a shell in a terminal, ctrl-p ctrl-q detaches, docker attach comes back', { skip }, async () => {
  const t = new Terminal(d, 'docker-it', 'docker');
  try {
    t.start(['run', '-it', '--name', 'dshell', 'busybox', 'sh']);
    await t.waitFor(/^\/ #/m);
    t.keys('stty size; echo $((6*7))', 'Enter');
    await t.waitFor(/^30 100\n42\n/m);
    t.keys('C-p', 'C-q');
    await t.waitFor(/EXIT=0/);
    assert.match((await d.docker(['ps', '--filter', 'name=dshell', '--format', '{{.Status}}'])).stdout, /^Up /);
  } finally {
    t.stop();
  }
  const back = new Terminal(d, 'docker-attach', 'docker');
  try {
    back.start(['attach', '--detach-keys', 'ctrl-x,y', 'dshell']);
    back.keys('Enter');
    await back.waitFor(/^\/ #/m);
    back.keys('echo back', 'Enter');
    await back.waitFor(/^back$/m);
    back.keys('C-x', 'y');
    // The docker CLI's own wording for a detach from attach (its exit code is its business).
    await back.waitFor(/read escape sequence\nEXIT=\d+/);
  } finally {
    back.stop();
  }
  assert.equal((await d.docker(['inspect', '--format', '{{.State.Status}}', 'dshell'])).stdout, 'running\n');
  const still = await d.docker(['exec', 'dshell', 'true']);
  assert.equal(still.code, 0, still.stderr);
});
