import { resolvePolicy } from '../../../src/core/breaker/policy.js'
import { DEFAULT_BREAKER_POLICY, type BreakerPolicy } from '../../../src/core/breaker/types.js'
import { BreakwaterConfigError } from '../../../src/core/errors.js'

const fieldOf = (partial: unknown): string => {
  try {
    resolvePolicy(partial as Partial<BreakerPolicy>, 'breakwater/test')
  } catch (error) {
    expect(error).toBeInstanceOf(BreakwaterConfigError)
    expect((error as BreakwaterConfigError).source).toBe('breakwater/test')
    return (error as BreakwaterConfigError).field
  }
  throw new Error(`accepted ${JSON.stringify(partial)}`)
}

describe('resolvePolicy', () => {
  it('returns the defaults for undefined or {} and merges overrides', () => {
    expect(resolvePolicy(undefined, 's')).toEqual(DEFAULT_BREAKER_POLICY)
    expect(resolvePolicy({}, 's')).toEqual(DEFAULT_BREAKER_POLICY)
    const merged = resolvePolicy({ cooldownMs: 5, maxCooldownMs: 10, probeStages: [2, 3], windowMs: undefined }, 's')
    expect(merged).toEqual({ ...DEFAULT_BREAKER_POLICY, cooldownMs: 5, maxCooldownMs: 10, probeStages: [2, 3] })
    expect(Object.isFrozen(merged)).toBe(true)
  })

  it.each([
    [{ nope: 1 }, 'breaker.nope'],
    [{ failureRateThreshold: 0 }, 'breaker.failureRateThreshold'],
    [{ failureRateThreshold: 1.01 }, 'breaker.failureRateThreshold'],
    [{ windowMs: 0 }, 'breaker.windowMs'],
    [{ windowMs: Number.POSITIVE_INFINITY }, 'breaker.windowMs'],
    [{ minimumCalls: 2.5 }, 'breaker.minimumCalls'],
    [{ consecutiveFailures: 0 }, 'breaker.consecutiveFailures'],
    [{ cooldownMs: -1 }, 'breaker.cooldownMs'],
    [{ cooldownMs: Number.NaN }, 'breaker.cooldownMs'],
    [{ cooldownMs: '60000' }, 'breaker.cooldownMs'],
    [{ cooldownMultiplier: 0.5 }, 'breaker.cooldownMultiplier'],
    [{ cooldownMs: 1000, maxCooldownMs: 999 }, 'breaker.maxCooldownMs'],
    [{ permitLeaseMs: 0 }, 'breaker.permitLeaseMs'],
    [{ probeStages: [] }, 'breaker.probeStages'],
    [{ probeStages: [1, 1] }, 'breaker.probeStages'],
    [{ probeStages: [5, 1] }, 'breaker.probeStages'],
    [{ probeStages: [0, 1] }, 'breaker.probeStages'],
    [{ probeStages: [1, 2.5] }, 'breaker.probeStages'],
    [{ probeStages: 3 }, 'breaker.probeStages'],
    [[1], 'breaker'],
  ])('rejects %j at %s', (partial, field) => {
    expect(fieldOf(partial)).toBe(field)
  })

  it('says what was wrong in the message', () => {
    expect(() => resolvePolicy({ failureRateThreshold: 2 }, 'breakwater/x'))
      .toThrow('breakwater/x: option "breaker.failureRateThreshold" must be a number in (0, 1] (got 2)')
  })
})
