import type { Region } from '../../src/explain/regions.js';

/**
 * The leaves of a region tree in order: what the hex of a region concatenates from. The explain
 * pages walk regions their own way; tests use this to check that leaves cover the bytes exactly.
 */
export function leaves(regions: readonly Region[]): Region[] {
  const out: Region[] = [];
  const visit = (r: Region): void => {
    if (r.children) r.children.forEach(visit);
    else out.push(r);
  };
  regions.forEach(visit);
  return out;
}
