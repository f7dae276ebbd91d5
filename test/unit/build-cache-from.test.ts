import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { fromSources } from '../../src/build/cache-from.js';
import type { ImageState, StateLayer } from '../../src/build/state.js';

const layer = (name: string): StateLayer => ({ chainId: `sha256:${name}`, diffId: `sha256:d${name}`, descriptor: { digest: `sha256:b${name}`, size: 1 } }) as StateLayer;

/** A state from history entries: a string adds a layer named after it, `#` entries add none. */
function image(entries: string[]): ImageState {
  const history = entries.map((e) => ({ created_by: e, ...(e.startsWith('#') && { empty_layer: true }) }));
  const layers = entries.filter((e) => !e.startsWith('#')).map(layer);
  return { key: entries.join('|'), config: { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) }, history }, layers } as ImageState;
}

describe('--cache-from sources', () => {
  const source = image(['base', '#ENV A=1', 'RUN make', '#CMD x']);

  it('gives the next layer when the image so far is a prefix of the source and the instruction matches', () => {
    assert.deepEqual(fromSources([source], image(['base', '#ENV A=1']), 'RUN make'), { layer: layer('RUN make') });
    assert.deepEqual(fromSources([source], image(['base', '#ENV A=1', 'RUN make']), '#CMD x'), {});
  });

  it('gives nothing for another instruction, another history or other layers', () => {
    assert.equal(fromSources([source], image(['base', '#ENV A=1']), 'RUN make install'), undefined);
    assert.equal(fromSources([source], image(['base', '#ENV A=2']), 'RUN make'), undefined);
    assert.equal(fromSources([source], image(['other', '#ENV A=1']), 'RUN make'), undefined);
    assert.equal(fromSources([source], source, 'RUN more'), undefined);
  });
});
