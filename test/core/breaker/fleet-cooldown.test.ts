/** A fleet's breaker cools down briefly and flatly; one container's keeps the long, growing cooldown. */
import { describe, expect, it } from '@jest/globals'
import { fleetCooldowns, SHARED_COOLDOWN_MS } from '../../../src/core/breaker/fleet.js'
import { MemoryBreakerStore } from '../../../src/core/breaker/memory-store.js'
import { DEFAULT_BREAKER_POLICY, type BreakerStore } from '../../../src/core/breaker/types.js'
import { breakerPart } from '../../../src/middlewares/circuit-breaker.js'

/** A store of one's own (not an in-container class): treated as shared. */
function sharedStore(): BreakerStore {
  const inner = new MemoryBreakerStore()
  return {
    read: (key, now) => inner.read(key, now),
    recordOutcome: (key, outcome, now, windowMs, since) => inner.recordOutcome(key, outcome, now, windowMs, since),
    compareAndSet: (key, expected, next) => inner.compareAndSet(key, expected, next),
  }
}

describe('fleet cooldowns', () => {
  it('default to 5 s, not growing; the user\'s settings win and the cap follows them', () => {
    expect(fleetCooldowns({})).toEqual({ cooldownMs: SHARED_COOLDOWN_MS, cooldownMultiplier: 1, maxCooldownMs: SHARED_COOLDOWN_MS })
    expect(fleetCooldowns({ cooldownMs: 30_000 })).toEqual({ cooldownMs: 30_000, cooldownMultiplier: 1, maxCooldownMs: 30_000 })
    expect(fleetCooldowns({ cooldownMultiplier: 2 }))
      .toEqual({ cooldownMs: SHARED_COOLDOWN_MS, cooldownMultiplier: 2, maxCooldownMs: DEFAULT_BREAKER_POLICY.maxCooldownMs })
    expect(fleetCooldowns({ maxCooldownMs: 9_000, cooldownMultiplier: 3 }).maxCooldownMs).toBe(9_000)
  })

  it('apply to a breaker on a table or a shared store, not to one container\'s', () => {
    const fleet = breakerPart({ tableName: 'breakers' }).breaker.policy
    expect([fleet.cooldownMs, fleet.cooldownMultiplier, fleet.maxCooldownMs]).toEqual([5_000, 1, 5_000])
    const ownStore = breakerPart({ store: sharedStore() }).breaker.policy
    expect(ownStore.cooldownMs).toBe(5_000)
    const local = breakerPart({}).breaker.policy
    const { cooldownMs, cooldownMultiplier } = DEFAULT_BREAKER_POLICY
    expect([local.cooldownMs, local.cooldownMultiplier]).toEqual([cooldownMs, cooldownMultiplier])
    expect(breakerPart({ tableName: 'breakers', cooldownMs: 20_000 }).breaker.policy.maxCooldownMs).toBe(20_000)
  })
})
