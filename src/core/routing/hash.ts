/**
 * The sticky blue/green split: a stable hash of the request's key picks a bucket in [0, 10 000), and buckets below
 * `weight × 100` go green. The same key lands on the same side on every instance and every cold start, and raising
 * the weight only moves keys from blue to green (never back), so a user sees one side while a canary ramps up.
 */

/** Buckets of the split: 10 000 gives a weight resolution of 0.01 %. */
export const SPLIT_BUCKETS = 10_000

/** FNV-1a, 32 bit, over the UTF-16 code units of `key`. Fast, dependency-free and well spread for short ids. */
export function fnv1a32(key: string): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return hash >>> 0
}

/**
 * The key's bucket in [0, SPLIT_BUCKETS). FNV-1a's low bits are weakly mixed for keys that differ only in their last
 * character (`user-1`, `user-2`, ...), so a final avalanche (murmur3's fmix32) spreads them before the modulo.
 */
export function splitBucket(key: string): number {
  let h = fnv1a32(key)
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return (h >>> 0) % SPLIT_BUCKETS
}

/** Does `key` go green at `weightPercent` (0–100)? No key → blue. */
export function isGreen(key: string | undefined, weightPercent: number): boolean {
  if (key === undefined || key === '' || weightPercent <= 0) return false
  return splitBucket(key) < weightPercent * (SPLIT_BUCKETS / 100)
}
