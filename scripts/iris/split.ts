/** Seeded randomness and a stratified train / held-out split, reproducible bit for bit. */

/** mulberry32: a tiny 32-bit PRNG; returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher–Yates shuffle of a copy. */
export function shuffled<T>(items: readonly T[], rand: () => number): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

export interface Split {
  /** Sorted dataset row indices. */
  train: number[];
  heldOut: number[];
}

/** Hold out `heldOutPerClass` rows of every class, chosen by a seeded shuffle within the class. */
export function stratifiedSplit(labels: readonly number[], heldOutPerClass: number, rand: () => number): Split {
  const classes = [...new Set(labels)].sort((a, b) => a - b);
  const heldOut: number[] = [];
  for (const c of classes) {
    const rows = labels.flatMap((l, i) => (l === c ? [i] : []));
    heldOut.push(...shuffled(rows, rand).slice(0, heldOutPerClass));
  }
  heldOut.sort((a, b) => a - b);
  const held = new Set(heldOut);
  const train = labels.map((_, i) => i).filter((i) => !held.has(i));
  return { train, heldOut };
}
