/** The local fallback of a shared store: seeded from the shared state, never mixing the two stores' records. */
import { FallbackBreakerStore, QUICK_RETRY_MS } from '../../../src/core/breaker/fallback-store.js'
import { MemoryBreakerStore } from '../../../src/core/breaker/memory-store.js'
import { initialRecord, type BreakerRecord, type BreakerStore } from '../../../src/core/breaker/types.js'
import { FakeClock } from '../../support/fake-clock.js'

const KEY = 'm@us-east-1'

/** A shared store that can be switched off: every call then throws like a DynamoDB outage. */
function flaky(): BreakerStore & { down: boolean } {
  const inner = new MemoryBreakerStore()
  const s = {
    down: false,
    read: (k: string, n: number) => (s.down ? Promise.reject(new Error('down')) : inner.read(k, n)),
    recordOutcome: (k: string, o: 'success' | 'failure', n: number, w: number, since: number) =>
      (s.down ? Promise.reject(new Error('down')) : inner.recordOutcome(k, o, n, w, since)),
    compareAndSet: (k: string, e: BreakerRecord, x: BreakerRecord) =>
      (s.down ? Promise.reject(new Error('down')) : inner.compareAndSet(k, e, x)),
  }
  return s
}

const open = (version: number): BreakerRecord =>
  ({ ...initialRecord(), state: 'open', version, changedAt: 1, openUntil: 10_000_000, opens: 1 })

describe('FallbackBreakerStore', () => {
  it('tries the shared store again 2 s after a first failure, and only after retryAfterMs once it fails again', async () => {
    const clock = new FakeClock(1_000)
    const primary = flaky()
    const store = new FallbackBreakerStore({ primary, clock, retryAfterMs: 30_000 })
    await store.read(KEY, clock.now())
    primary.down = true
    await store.read(KEY, clock.now()) // one slow call (a cold connection): local for a moment only
    expect(store.local).toBe(true)
    await clock.advance(QUICK_RETRY_MS)
    expect(store.local).toBe(false)
    await store.read(KEY, clock.now()) // down again: now the whole period
    await clock.advance(QUICK_RETRY_MS)
    expect(store.local).toBe(true)
    await clock.advance(30_000 - QUICK_RETRY_MS)
    expect(store.local).toBe(false)
    primary.down = false
    await store.read(KEY, clock.now()) // answered: the next failure is a first one again
    primary.down = true
    await store.read(KEY, clock.now())
    await clock.advance(QUICK_RETRY_MS)
    expect(store.local).toBe(false)
  })

  it('keeps an open breaker open when the shared store goes down, and reports each failure', async () => {
    const clock = new FakeClock(1_000)
    const primary = flaky()
    const errors: string[] = []
    const store = new FallbackBreakerStore({ primary, clock, onError: (op) => errors.push(op) })
    const first = await store.read(KEY, clock.now())
    expect((await store.compareAndSet(KEY, first, open(1))).ok).toBe(true)
    primary.down = true
    expect(await store.read(KEY, clock.now())).toMatchObject({ state: 'open', version: 1 })
    expect(errors).toEqual(['read'])
    expect(store.local).toBe(true)
  })

  it('a decision taken on a local record cannot land in the shared store after it comes back', async () => {
    const clock = new FakeClock(1_000)
    const primary = flaky()
    const store = new FallbackBreakerStore({ primary, clock, retryAfterMs: 5_000 })
    const shared = await store.read(KEY, clock.now())
    await store.compareAndSet(KEY, shared, open(1))
    primary.down = true
    const local = await store.read(KEY, clock.now()) // local copy of open v1
    await clock.advance(5_000)
    primary.down = false
    // Same version number as the shared record, but decided on local state: it must lose, and hand back the shared one.
    const result = await store.compareAndSet(KEY, local, { ...local, version: 2, state: 'closed' })
    expect(result).toMatchObject({ ok: false, record: { state: 'open', version: 1 } })
    expect(await primary.read(KEY, clock.now())).toMatchObject({ state: 'open', version: 1 })
  })

  it('goes back to the shared store after retryAfterMs', async () => {
    const clock = new FakeClock(1_000)
    const primary = flaky()
    const store = new FallbackBreakerStore({ primary, clock, retryAfterMs: 5_000 })
    primary.down = true
    await store.read(KEY, clock.now())
    primary.down = false
    expect(store.local).toBe(true)
    await clock.advance(5_000)
    expect(store.local).toBe(false)
    await store.read(KEY, clock.now())
    expect(store.local).toBe(false)
  })
})
