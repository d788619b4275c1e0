/** The cached-response fallback's LRU: O(1) Map-based, least recently used evicted, entries expire by age. */
import { describe, expect, it } from '@jest/globals'
import { ReplyCache } from '../../../src/core/fallback/reply-cache.js'
import { FakeClock } from '../../support/fake-clock.js'

describe('ReplyCache', () => {
  it('evicts the least recently used beyond maxEntries; a hit or a rewrite makes an entry recent', () => {
    const clock = new FakeClock()
    const cache = new ReplyCache<string>({ maxEntries: 3, ttlMs: 60_000 })
    cache.set('a', 'A', clock.now())
    cache.set('b', 'B', clock.now())
    cache.set('c', 'C', clock.now())
    expect(cache.get('a', clock.now())).toBe('A') // a is now the most recent: b is the oldest
    cache.set('d', 'D', clock.now())
    expect(cache.size).toBe(3)
    expect(cache.get('b', clock.now())).toBeUndefined()
    cache.set('c', 'C2', clock.now()) // rewriting c makes it recent: a goes next
    cache.set('e', 'E', clock.now())
    expect(cache.get('a', clock.now())).toBeUndefined()
    expect([cache.get('c', clock.now()), cache.get('d', clock.now()), cache.get('e', clock.now())]).toEqual(['C2', 'D', 'E'])
  })

  it('an entry expires ttlMs after it was stored, however often it was read, and is dropped', async () => {
    const clock = new FakeClock(1_000)
    const cache = new ReplyCache<string>({ maxEntries: 10, ttlMs: 5_000 })
    cache.set('k', 'v', clock.now())
    await clock.advance(4_999)
    expect(cache.get('k', clock.now())).toBe('v')
    await clock.advance(1)
    expect(cache.get('k', clock.now())).toBeUndefined()
    expect(cache.size).toBe(0)
    cache.set('k', 'v2', clock.now()) // a fresh store starts a fresh life
    await clock.advance(4_000)
    expect(cache.get('k', clock.now())).toBe('v2')
  })

  it('maxEntries 1 keeps only the latest', () => {
    const cache = new ReplyCache<number>({ maxEntries: 1, ttlMs: 1_000 })
    for (let i = 0; i < 100; i++) cache.set(`k${i}`, i, 0)
    expect(cache.size).toBe(1)
    expect(cache.get('k99', 0)).toBe(99)
  })
})
