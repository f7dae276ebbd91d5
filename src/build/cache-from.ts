/**
 * `--cache-from IMAGE` as docker's legacy builder does it: a local image's
 * history stands in for the cache. A step that misses the cache is taken
 * from a source image when the image so far is a prefix of it (the same
 * layers, the same history) and the source's next history entry was made by
 * the very same instruction (`created_by`, which for COPY/ADD names the
 * content's hash and for RUN the build args in effect). The step then reuses
 * the source's layer instead of running.
 */
import type { ImageState, StateLayer } from './state.js';

/** What a source gives a step: its layer, or nothing for a step that adds none. */
export interface SourceHit {
  layer?: StateLayer;
}

export function fromSources(sources: readonly ImageState[], state: ImageState, createdBy: string): SourceHit | undefined {
  const history = state.config.history ?? [];
  for (const src of sources) {
    const theirs = src.config.history ?? [];
    const next = theirs[history.length];
    if (next === undefined || next.created_by !== createdBy) continue;
    if (!state.layers.every((l, i) => src.layers[i]?.chainId === l.chainId)) continue;
    if (!history.every((h, i) => h.created_by === theirs[i].created_by && !h.empty_layer === !theirs[i].empty_layer)) continue;
    if (next.empty_layer) return {};
    const layer = src.layers[state.layers.length];
    if (layer) return { layer };
  }
  return undefined;
}
