import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { statusText } from '../../src/container/views.js';
import { matchesFilters, validateFilters } from '../../src/container/filters.js';
import type { ContainerRecord } from '../../src/container/record.js';

const NOW = Date.parse('2026-11-23T10:00:10Z');

function record(state: Partial<ContainerRecord['state']>): ContainerRecord {
  return {
    id: 'a'.repeat(64), name: 'c', created: '2026-11-23T10:00:00Z', imageId: 'sha256:x', path: 'sh', args: [],
    config: {}, hostConfig: {}, runtime: 'crun', restartCount: 0,
    state: { status: 'running', pid: 1, exitCode: 0, error: '', startedAt: '2026-11-23T10:00:05Z', finishedAt: '2026-11-23T10:00:08Z', oomKilled: false, exits: 0, ...state },
  };
}

test("ps status carries the health as docker words it", () => {
  const health = (Status: 'starting' | 'healthy' | 'unhealthy') => ({ health: { Status, FailingStreak: 0, Log: [] } });
  assert.equal(statusText(record({}), NOW), 'Up 5 seconds');
  assert.equal(statusText(record(health('starting')), NOW), 'Up 5 seconds (health: starting)');
  assert.equal(statusText(record(health('healthy')), NOW), 'Up 5 seconds (healthy)');
  assert.equal(statusText(record(health('unhealthy')), NOW), 'Up 5 seconds (unhealthy)');
  assert.equal(statusText(record({ status: 'paused', ...health('healthy') }), NOW), 'Up 5 seconds (Paused)');
  assert.equal(statusText(record({ status: 'exited', exitCode: 1, ...health('unhealthy') }), NOW), 'Exited (1) 2 seconds ago');
});

test('a container waiting out its restart backoff shows as docker shows it', () => {
  assert.equal(statusText(record({ status: 'restarting', exitCode: 1 }), NOW), 'Restarting (1) 2 seconds ago');
});

test('the health filter matches the status, or none without a healthcheck', () => {
  const none = () => undefined;
  const healthy = record({ health: { Status: 'healthy', FailingStreak: 0, Log: [] } });
  assert.equal(matchesFilters(healthy, { health: ['healthy'] }, none), true);
  assert.equal(matchesFilters(healthy, { health: ['unhealthy', 'starting'] }, none), false);
  assert.equal(matchesFilters(record({}), { health: ['none'] }, none), true);
  assert.throws(() => validateFilters({ health: ['fine'] }), { message: 'Unrecognised filter value for health: fine' });
});
