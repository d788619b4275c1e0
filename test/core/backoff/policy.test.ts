import fc from 'fast-check'
import { resolveBackoffPolicy, resolveRetryBudgetPolicy } from '../../../src/core/backoff/policy.js'
import { DEFAULT_BACKOFF_POLICY, DEFAULT_RETRY_BUDGET } from '../../../src/core/backoff/types.js'
import { BreakwaterConfigError } from '../../../src/core/errors.js'

const SOURCE = 'breakwater/backoff'

/** Runs `fn` and returns the BreakwaterConfigError it throws (failing the test if it throws anything else or nothing). */
function configError(fn: () => unknown): BreakwaterConfigError {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(BreakwaterConfigError)
    return error as BreakwaterConfigError
  }
  throw new Error('expected a BreakwaterConfigError')
}

const backoff = (options: unknown) => () => resolveBackoffPolicy(options as never, SOURCE)
const budget = (options: unknown) => () => resolveRetryBudgetPolicy(options as never, SOURCE)

describe('resolveBackoffPolicy', () => {
  it('returns the defaults for no options, and merges the ones given', () => {
    expect(resolveBackoffPolicy(undefined, SOURCE)).toEqual(DEFAULT_BACKOFF_POLICY)
    expect(resolveBackoffPolicy({}, SOURCE)).toEqual(DEFAULT_BACKOFF_POLICY)
    const p = resolveBackoffPolicy({ baseMs: 50, maxAttempts: 5, honourRetryAfter: false }, SOURCE)
    expect(p).toEqual({ ...DEFAULT_BACKOFF_POLICY, baseMs: 50, maxAttempts: 5, honourRetryAfter: false })
    expect(Object.isFrozen(p)).toBe(true)
  })

  it('keeps the default for a key given as undefined (optional env vars pass straight through)', () => {
    expect(resolveBackoffPolicy({ capMs: undefined }, SOURCE).capMs).toBe(DEFAULT_BACKOFF_POLICY.capMs)
  })

  it('names the source and the field in the error', () => {
    const e = configError(backoff({ capMs: -1 }))
    expect(e.source).toBe(SOURCE)
    expect(e.field).toBe('backoff.capMs')
    expect(e.message).toMatch(/^breakwater\/backoff: option "backoff.capMs" must be/)
  })

  it.each([
    ['an unknown key', { baseMS: 100 }, 'backoff.baseMS'],
    ['a negative time', { baseMs: -1 }, 'backoff.baseMs'],
    ['a NaN time', { throttleBaseMs: Number.NaN }, 'backoff.throttleBaseMs'],
    ['an infinite time', { capMs: Infinity }, 'backoff.capMs'],
    ['a time as a string', { minAttemptMs: '1000' }, 'backoff.minAttemptMs'],
    ['maxAttempts 0', { maxAttempts: 0 }, 'backoff.maxAttempts'],
    ['a fractional maxAttempts', { maxAttempts: 2.5 }, 'backoff.maxAttempts'],
    ['a zero attempt timeout', { attemptTimeoutMs: 0 }, 'backoff.attemptTimeoutMs'],
    ['a reserve over a minute', { reserveMs: 60_001 }, 'backoff.reserveMs'],
    ['a cap past Lambda\'s longest timeout', { capMs: 900_001 }, 'backoff.capMs'],
    ['an attempt timeout past Lambda\'s longest timeout', { attemptTimeoutMs: 2 ** 31 }, 'backoff.attemptTimeoutMs'],
    ['a minimal attempt past Lambda\'s longest timeout', { minAttemptMs: 900_001 }, 'backoff.minAttemptMs'],
    ['a non-boolean honourRetryAfter', { honourRetryAfter: 'yes' }, 'backoff.honourRetryAfter'],
    ['options that are not an object', 3, 'backoff'],
    ['options that are an array', [], 'backoff'],
  ])('rejects %s', (_, options, field) => {
    expect(configError(backoff(options)).field).toBe(field)
  })

  it('accepts the edges: zero times, one attempt, a one-minute reserve, 900 s waits and attempts', () => {
    expect(() => resolveBackoffPolicy({ baseMs: 0, capMs: 0, minAttemptMs: 0, reserveMs: 60_000, maxAttempts: 1 }, SOURCE)).not.toThrow()
    expect(() => resolveBackoffPolicy({ capMs: 900_000, minAttemptMs: 900_000, attemptTimeoutMs: 900_000 }, SOURCE)).not.toThrow()
  })

  it('property: any in-range options resolve to exactly themselves', () => {
    const t = fc.double({ min: 0, max: 900_000, noNaN: true })
    fc.assert(fc.property(
      fc.record({
        baseMs: t, throttleBaseMs: fc.double({ min: 0, max: 1e7, noNaN: true }), capMs: t, minAttemptMs: t,
        maxAttempts: fc.integer({ min: 1, max: 100 }),
        reserveMs: fc.double({ min: 0, max: 60_000, noNaN: true }),
        attemptTimeoutMs: fc.double({ min: 1e-3, max: 900_000, noNaN: true }),
        honourRetryAfter: fc.boolean(),
      }, { requiredKeys: [] }),
      (options) => expect(resolveBackoffPolicy(options, SOURCE)).toEqual({ ...DEFAULT_BACKOFF_POLICY, ...options }),
    ))
  })

  it('property: any negative or non-finite time is rejected, naming its field', () => {
    const fields = ['baseMs', 'throttleBaseMs', 'capMs', 'reserveMs', 'minAttemptMs', 'attemptTimeoutMs'] as const
    const bad = fc.oneof(fc.double({ max: -Number.MIN_VALUE, noNaN: true }), fc.constantFrom(Number.NaN, Infinity, -Infinity))
    fc.assert(fc.property(fc.constantFrom(...fields), bad, (field, value) => {
      expect(configError(backoff({ [field]: value })).field).toBe(`backoff.${field}`)
    }))
  })
})

describe('resolveRetryBudgetPolicy', () => {
  it('returns the defaults for no options, and merges the ones given', () => {
    expect(resolveRetryBudgetPolicy(undefined, SOURCE)).toEqual(DEFAULT_RETRY_BUDGET)
    expect(resolveRetryBudgetPolicy({ ratio: 0.5 }, SOURCE)).toEqual({ ...DEFAULT_RETRY_BUDGET, ratio: 0.5 })
    expect(() => resolveRetryBudgetPolicy({ ratio: 0, minRetriesPerSecond: 0, windowMs: 1_000 }, SOURCE)).not.toThrow()
    expect(() => resolveRetryBudgetPolicy({ ratio: 10, windowMs: 60_000 }, SOURCE)).not.toThrow()
    // Fractional floors: the default is 0.5/s, and a tenth of a retry per second is one per 10 s window.
    expect(DEFAULT_RETRY_BUDGET.minRetriesPerSecond).toBe(0.5)
    expect(resolveRetryBudgetPolicy({ minRetriesPerSecond: 0.1 }, SOURCE).minRetriesPerSecond).toBe(0.1)
    expect(resolveRetryBudgetPolicy({ minRetriesPerSecond: 0.25, windowMs: 4_000 }, SOURCE).minRetriesPerSecond).toBe(0.25)
  })

  it.each([
    ['an unknown key', { percent: 20 }, 'retryBudget.percent'],
    ['a negative ratio', { ratio: -0.1 }, 'retryBudget.ratio'],
    ['a ratio over 10', { ratio: 10.5 }, 'retryBudget.ratio'],
    ['a NaN ratio', { ratio: Number.NaN }, 'retryBudget.ratio'],
    ['negative minRetriesPerSecond', { minRetriesPerSecond: -1 }, 'retryBudget.minRetriesPerSecond'],
    ['infinite minRetriesPerSecond', { minRetriesPerSecond: Infinity }, 'retryBudget.minRetriesPerSecond'],
    ['a window of part seconds', { windowMs: 1_500 }, 'retryBudget.windowMs'],
    ['a zero window', { windowMs: 0 }, 'retryBudget.windowMs'],
    ['a window over a minute', { windowMs: 61_000 }, 'retryBudget.windowMs'],
    ['options that are null', null, 'retryBudget'],
  ])('rejects %s', (_, options, field) => {
    expect(configError(budget(options)).field).toBe(field)
  })
})
