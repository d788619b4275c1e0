import { describe, expect, it } from '@jest/globals'
import { fnv1a32, isGreen, splitBucket, SPLIT_BUCKETS } from '../../../src/core/routing/hash.js'

const keys = (n: number, prefix = 'user-'): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`)
const greenShare = (ks: readonly string[], weight: number): number => (100 * ks.filter((k) => isGreen(k, weight)).length) / ks.length

describe('sticky split hash', () => {
  it('is FNV-1a 32 (reference vectors)', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5)
    expect(fnv1a32('a')).toBe(0xe40c292c)
    expect(fnv1a32('foobar')).toBe(0xbf9cf968)
  })

  it.each([5, 20, 50])('sends %i %% of 10 000 keys green, within ±1 point', (weight) => {
    for (const prefix of ['user-', 'sess_', '']) {
      expect(Math.abs(greenShare(keys(10_000, prefix), weight) - weight)).toBeLessThanOrEqual(1)
    }
    // UUID-shaped keys (Cognito subs) too.
    const uuids = keys(10_000).map((k, i) => `${(i * 2654435761 >>> 0).toString(16).padStart(8, '0')}-4a51-9d3e-${k}`)
    expect(Math.abs(greenShare(uuids, weight) - weight)).toBeLessThanOrEqual(1)
  })

  it('is stable across releases: pinned key → bucket pairs (a change here moves live users between blue and green)', () => {
    // Golden values computed once from the shipped hash; they must never change silently.
    const pinned = ['user-0', 'user-1', 'user-2', 'user-42', 'sess_7', '3f1c9a2e-4a51-9d3e-user-9', 'alice@example.com', 'ü-ñ-日本']
    expect(Object.fromEntries(pinned.map((k) => [k, splitBucket(k)]))).toEqual({
      'user-0': 1277, 'user-1': 5916, 'user-2': 1105, 'user-42': 1798, 'sess_7': 3109,
      '3f1c9a2e-4a51-9d3e-user-9': 848, 'alice@example.com': 6280, 'ü-ñ-日本': 6908,
    })
    // Bucket 1277 is green from 12.78 % up: blue at 12 %, green at 13 %.
    expect([isGreen('user-0', 12), isGreen('user-0', 13)]).toEqual([false, true])
    for (const k of keys(1_000)) {
      const b = splitBucket(k)
      expect(b).toBeGreaterThanOrEqual(0)
      expect(b).toBeLessThan(SPLIT_BUCKETS)
    }
  })

  it('raising the weight only moves keys blue → green', () => {
    const ks = keys(5_000)
    const at5 = new Set(ks.filter((k) => isGreen(k, 5)))
    const at20 = new Set(ks.filter((k) => isGreen(k, 20)))
    for (const k of at5) expect(at20.has(k)).toBe(true)
  })

  it('sends requests without a key, and weight 0, blue; weight 100 all green', () => {
    expect(isGreen(undefined, 100)).toBe(false)
    expect(isGreen('', 100)).toBe(false)
    expect(keys(1_000).some((k) => isGreen(k, 0))).toBe(false)
    expect(keys(1_000).every((k) => isGreen(k, 100))).toBe(true)
  })
})
