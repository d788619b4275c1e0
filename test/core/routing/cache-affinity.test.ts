import { CACHE_TTL_MS, CacheAffinity, cachedPrefixKey } from '../../../src/core/routing/cache-affinity.js'

const CACHE = { cachePoint: { type: 'default' } }
const request = (system: string, question: string, cached = true) => ({
  system: cached ? [{ text: system }, CACHE] : [{ text: system }],
  messages: [{ role: 'user', content: [{ text: question }] }],
})
const t = (model: string, region: string) => ({ model, region })
const [EAST, WEST, SMALL] = [t('big', 'us-east-1'), t('big', 'us-west-2'), t('small', 'us-east-1')]

describe('cachedPrefixKey', () => {
  it('keys what comes up to the last cache point, tools, system and messages alike', () => {
    expect(cachedPrefixKey(request('You are terse.', 'q1', false))).toBeUndefined()
    expect(cachedPrefixKey({ body: '{}' })).toBeUndefined()
    expect(cachedPrefixKey(request('You are terse.', 'q1'))).toBe(cachedPrefixKey(request('You are terse.', 'q2')))
    expect(cachedPrefixKey(request('You are terse.', 'q1'))).not.toBe(cachedPrefixKey(request('You are verbose.', 'q1')))
    const withDoc = (doc: string, q: string) => ({ messages: [{ role: 'user', content: [{ text: doc }, CACHE, { text: q }] }] })
    expect(cachedPrefixKey(withDoc('contract', 'a'))).toBe(cachedPrefixKey(withDoc('contract', 'b')))
    const tools = { toolConfig: { tools: [{ toolSpec: { name: 'x' } }, CACHE] }, messages: [] }
    expect(cachedPrefixKey(tools)).toEqual(expect.any(String))
  })
})

describe('CacheAffinity', () => {
  it('moves the region that last served a prefix ahead of its model\'s other regions, never across models', () => {
    const affinity = new CacheAffinity()
    const route = [EAST, WEST, SMALL]
    expect(affinity.prefer(route, 'p', 0)).toBe(route)
    affinity.remember('p', WEST, 0)
    expect(affinity.prefer(route, 'p', 1_000)).toEqual([WEST, EAST, SMALL])
    expect(affinity.prefer(route, 'other', 1_000)).toBe(route)
    affinity.remember('q', SMALL, 0)
    expect(affinity.prefer(route, 'q', 1_000)).toBe(route)
    expect(affinity.prefer([SMALL, EAST, WEST], 'p', 1_000)).toEqual([SMALL, WEST, EAST])
  })

  it("moves a region's tier ladder as one, in its order, whichever of its tiers served", () => {
    const affinity = new CacheAffinity()
    const [priority, standard] = [{ ...WEST, serviceTier: 'priority' as const }, WEST]
    affinity.remember('p', standard, 0)
    expect(affinity.prefer([EAST, priority, standard, SMALL], 'p', 1_000)).toEqual([priority, standard, EAST, SMALL])
  })

  it('forgets a prefix the cache has let go of', () => {
    const affinity = new CacheAffinity()
    affinity.remember('p', WEST, 0)
    expect(affinity.prefer([EAST, WEST], 'p', CACHE_TTL_MS + 1)).toEqual([EAST, WEST])
  })
})
