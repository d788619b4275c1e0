/** fallback() options: the cache option (`true`, partial, or off) and its validation; the re-ask instruction. */
import { describe, expect, it } from '@jest/globals'
import { BreakwaterConfigError } from '../../../src/core/errors.js'
import { DEFAULT_FALLBACK_POLICY, reaskWithFormat, resolveFallbackPolicy } from '../../../src/core/fallback/policy.js'
import { breakwater } from '../../../src/middlewares/breakwater.js'
import { fallback } from '../../../src/middlewares/fallback.js'

const SOURCE = 'breakwater/fallback'
const fieldOf = (fn: () => unknown): string => {
  try { fn() } catch (e) { if (e instanceof BreakwaterConfigError) return e.field; throw e }
  throw new Error('did not throw')
}

describe('fallback cache option', () => {
  it('is off by default; true means 500 entries for an hour; a partial object is merged with that', () => {
    expect(DEFAULT_FALLBACK_POLICY.cache).toBe(false)
    expect(resolveFallbackPolicy({}, SOURCE).cache).toBe(false)
    expect(resolveFallbackPolicy({ cache: false }, SOURCE).cache).toBe(false)
    expect(resolveFallbackPolicy({ cache: true }, SOURCE).cache).toEqual({ maxEntries: 500, ttlMs: 3_600_000 })
    expect(resolveFallbackPolicy({ cache: { ttlMs: 60_000 } }, SOURCE).cache).toEqual({ maxEntries: 500, ttlMs: 60_000 })
    expect(resolveFallbackPolicy({ cache: { maxEntries: 1, ttlMs: 1 } }, SOURCE))
      .toMatchObject({ malformedRetries: 1, cache: { maxEntries: 1, ttlMs: 1 } })
  })

  it.each([
    ['a string', 'yes', 'fallback.cache'],
    ['an unknown key', { size: 10 }, 'fallback.cache.size'],
    ['0 entries', { maxEntries: 0 }, 'fallback.cache.maxEntries'],
    ['fractional entries', { maxEntries: 1.5 }, 'fallback.cache.maxEntries'],
    ['ttl 0', { ttlMs: 0 }, 'fallback.cache.ttlMs'],
    ['ttl Infinity', { ttlMs: Number.POSITIVE_INFINITY }, 'fallback.cache.ttlMs'],
  ])('rejects %s', (_name, cache, field) => {
    expect(fieldOf(() => fallback({ cache } as never))).toBe(field)
    const routes = { default: ['anthropic.claude-3-haiku-20240307-v1:0@us-east-1'] }
    expect(fieldOf(() => breakwater({ routes, fallback: { cache } as never }))).toBe(field)
  })
})

describe('reaskWithFormat', () => {
  const input = { system: [{ text: 'Be brief.' }], messages: [{ role: 'user', content: [{ text: 'hi' }] }] }

  it('adds the reason and, when known, the expected format; the caller\'s input is untouched', () => {
    const once = reaskWithFormat(input, 'the reply is not valid JSON', 'Reply with JSON.')
    expect(once.system).toEqual([
      { text: 'Be brief.' },
      {
        text:
          'Your previous reply was rejected: the reply is not valid JSON. Reply again, following the required output format exactly. Reply with JSON.',
      },
    ])
    expect(input.system).toHaveLength(1)
    expect(reaskWithFormat(input, 'bad').system[1])
      .toEqual({ text: 'Your previous reply was rejected: bad. Reply again, following the required output format exactly.' })
  })

  it('a second re-ask replaces the first one\'s instruction instead of piling up', () => {
    const twice = reaskWithFormat(reaskWithFormat(input, 'first'), 'second')
    expect(twice.system).toEqual([
      { text: 'Be brief.' },
      { text: 'Your previous reply was rejected: second. Reply again, following the required output format exactly.' },
    ])
  })
})
