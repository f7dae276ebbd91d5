import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import type { CacheRecord } from '../../src/build/cache.js';
import { CacheLock } from '../../src/build/cache-lock.js';
import { cacheBytes, selectForRemoval } from '../../src/build/gc.js';
import type { StateLayer } from '../../src/build/state.js';

const layer = (name: string, size: number): StateLayer =>
  ({ chainId: `sha256:${name}`, diffId: `sha256:d${name}`, descriptor: { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: `sha256:b${name}`, size } }) as StateLayer;

/** An entry that added `own` (or nothing) on top of `below`, last used `minute` minutes after the epoch. */
function entry(key: string, below: StateLayer[], own: StateLayer | undefined, minute: number): CacheRecord {
  const when = new Date(minute * 60_000).toISOString();
  return {
    state: { key, config: { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }, layers: own ? [...below, own] : below },
    description: `step ${key}`,
    ...(own && { layer: own }),
    size: own?.descriptor.size ?? 0,
    created: when,
    lastUsed: when,
    usageCount: 1,
  } as CacheRecord;
}

const base = layer('base', 5000); // a base image's layer: never counted
const a1 = layer('a1', 100);
const a2 = layer('a2', 200);
const b1 = layer('b1', 400);
// Two builds: a (two layers and a metadata step), b (one layer); a was used before b.
const records = [
  entry('a1', [base], a1, 1),
  entry('a2', [base, a1], a2, 2),
  entry('a3', [base, a1, a2], undefined, 2),
  entry('b1', [base], b1, 5),
];

describe('build cache GC', () => {
  it('counts each layer the cache added once, and no base image layer', () => {
    assert.equal(cacheBytes(records), 700);
    assert.equal(cacheBytes([...records, entry('b1-again', [base], b1, 6)]), 700);
  });

  it('gives up least recently used entries until the rest fits', () => {
    const gone = selectForRemoval(records, { keepBytes: 400, now: 10 * 60_000 }).map((r) => r.state.key);
    // a1 alone frees nothing while a2 and a3 stand on it; the whole chain of a goes, b stays.
    assert.deepEqual(gone.sort(), ['a1', 'a2', 'a3']);
  });

  it('removes nothing when the cache fits', () => {
    assert.deepEqual(selectForRemoval(records, { keepBytes: 700, now: 0 }), []);
  });

  it('with until, only entries unused for that long are candidates', () => {
    const gone = selectForRemoval(records, { olderThanMs: 6 * 60_000, now: 10 * 60_000 }).map((r) => r.state.key);
    assert.deepEqual(gone.sort(), ['a1', 'a2', 'a3']);
    assert.deepEqual(selectForRemoval(records, { now: 0 }).length, 4);
  });
});

describe('build cache lock', () => {
  it('a collection waits for running builds, and builds that come after it wait for it', async () => {
    const lock = new CacheLock();
    const order: string[] = [];
    let finishBuild = (): void => undefined;
    const first = lock.shared(() => new Promise<void>((r) => (finishBuild = () => { order.push('build 1 ends'); r(); })));
    const collection = lock.exclusive(async () => { order.push('collection'); });
    const second = lock.shared(async () => { order.push('build 2'); });
    assert.equal(lock.idle, false);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(order, []);
    finishBuild();
    await Promise.all([first, collection, second]);
    assert.deepEqual(order, ['build 1 ends', 'collection', 'build 2']);
    assert.equal(lock.idle, true);
  });

  it('builds run side by side', async () => {
    const lock = new CacheLock();
    let release = (): void => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const one = lock.shared(() => gate);
    let twoRan = false;
    await lock.shared(async () => { twoRan = true; });
    assert.equal(twoRan, true);
    release();
    await one;
  });
});

describe('build cache GC and images', () => {
  it('does not count or give up entries whose layers an image holds', () => {
    const held = new Set([a1.chainId, a2.chainId]);
    assert.equal(cacheBytes(records, held), 400);
    // Only b costs the cache anything: it goes, a (held by an image) stays cached.
    const gone = selectForRemoval(records, { keepBytes: 100, imageLayers: held, now: 10 * 60_000 }).map((r) => r.state.key);
    assert.deepEqual(gone, ['b1']);
  });
});
