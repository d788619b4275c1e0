/** circuitBreaker()'s adaptive throttle: fed by the fleet when the breaker's store is shared and offers the counts. */
import { describe, expect, it } from '@jest/globals'
import type { AdmissionFeed } from '../../src/core/admission/fleet-feed.js'
import { MemoryBreakerStore } from '../../src/core/breaker/memory-store.js'
import type { BreakerStore } from '../../src/core/breaker/types.js'
import { breakerPart } from '../../src/middlewares/circuit-breaker.js'

/** A shared store of one's own (not an in-container one), with or without the fleet's admission counts. */
function sharedStore(feed?: AdmissionFeed): BreakerStore {
  const memory = new MemoryBreakerStore()
  const store: BreakerStore = {
    read: (key, now) => memory.read(key, now),
    recordOutcome: (key, outcome, now, windowMs, sinceMs) => memory.recordOutcome(key, outcome, now, windowMs, sinceMs),
    compareAndSet: (key, expected, next) => memory.compareAndSet(key, expected, next),
  }
  return feed === undefined ? store : { ...store, admissionFeed: feed }
}

const warnings: { message: string; extra: unknown }[] = []
const logger = {
  debug: () => undefined, info: () => undefined, error: () => undefined,
  warn: (message: string, extra: unknown) => { warnings.push({ message, extra }) },
}

describe('circuitBreaker({ admission })', () => {
  it('a table feeds the throttle by default; fleet: false, an in-container breaker or a store without counts do not', () => {
    expect(breakerPart({ tableName: 'breaker-table' }).admission?.fleetWide).toBe(true)
    expect(breakerPart({ tableName: 'breaker-table', admission: { fleet: false } }).admission?.fleetWide).toBe(false)
    expect(breakerPart({ tableName: 'breaker-table', admission: false }).admission).toBeUndefined()
    expect(breakerPart({}).admission?.fleetWide).toBe(false)
    expect(breakerPart({ admission: { fleet: true } }).admission?.fleetWide).toBe(false) // nothing to share
    expect(breakerPart({ store: sharedStore() }).admission?.fleetWide).toBe(false)
    expect(breakerPart({ store: sharedStore({ report: async () => new Map() }) }).admission?.fleetWide).toBe(true)
  })

  it('a failing feed is a breaker store error to the logger (operation admissionFeed), and the call is still decided', async () => {
    warnings.length = 0
    const store = sharedStore({ report: () => Promise.reject(new Error('table down')) })
    const throttle = breakerPart({ store, logger: logger as never }).admission!
    throttle.admit('m@us-east-1', 1_000, () => 0)
    throttle.throttled('m@us-east-1', 1_000)
    await throttle.sync('m@us-east-1', 1_100)
    expect(throttle.admit('m@us-east-1', 1_100, () => 0)).toBe(true)
    expect(warnings).toHaveLength(1)
    expect(warnings[0]?.extra).toMatchObject({ target: 'm@us-east-1', operation: 'admissionFeed' })
  })
})
