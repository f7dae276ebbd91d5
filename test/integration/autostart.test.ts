import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { BERTH, busyboxTar, cleanNetworks, killStrays, runProcess, testNetwork, unmountUnder } from '../helpers/daemon.js';

test('berth starts berthd by itself when none answers on the default socket', async () => {
  // The "default" socket of this test lives in its own exec root (BERTH_EXEC_ROOT),
  // so the user's /run/berth is never touched.
  const execRoot = mkdtempSync('/run/berth-test-auto-');
  const dataRoot = mkdtempSync('/var/tmp/berth-test-auto-data-');
  const net = testNetwork();
  const env: NodeJS.ProcessEnv = { ...process.env, BERTH_EXEC_ROOT: execRoot, BERTH_ROOT: dataRoot, BERTH_BRIDGE: net.bridge, BERTH_BIP: net.bip };
  delete env.DOCKER_HOST;
  delete env.BERTH_HOST;
  try {
    const imported = await runProcess(BERTH, ['import', '--change', 'CMD ["sh"]', busyboxTar(), 'busybox:latest'], { env });
    assert.equal(imported.code, 0, imported.stderr);
    const pid = Number(readFileSync(`${execRoot}/berthd.pid`, 'utf8'));
    assert.ok(pid > 0);
    const run = await runProcess(BERTH, ['run', '--rm', 'busybox', 'echo', 'hello'], { env });
    assert.equal(run.stdout, 'hello\n');
    assert.equal(run.code, 0);
    // The same daemon answered both commands.
    assert.equal(Number(readFileSync(`${execRoot}/berthd.pid`, 'utf8')), pid);
  } finally {
    try {
      process.kill(Number(readFileSync(`${execRoot}/berthd.pid`, 'utf8')), 'SIGTERM');
    } catch {
      // not started, or gone
    }
    await new Promise((r) => setTimeout(r, 300));
    killStrays(execRoot);
    cleanNetworks(dataRoot, execRoot);
    unmountUnder(dataRoot);
    rmSync(dataRoot, { recursive: true, force: true });
    rmSync(execRoot, { recursive: true, force: true });
  }
});
