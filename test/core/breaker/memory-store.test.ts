import { MemoryBreakerStore } from '../../../src/core/breaker/memory-store.js'
import { initialRecord } from '../../../src/core/breaker/types.js'

describe('MemoryBreakerStore', () => {
  it('reads a fresh closed record for an unknown key', async () => {
    expect(await new MemoryBreakerStore().read('k', 0)).toEqual(initialRecord())
  })

  it('writes only over the expected version and returns what is stored when it refuses', async () => {
    const store = new MemoryBreakerStore()
    const v0 = initialRecord()
    const v1 = { ...v0, version: 1, state: 'open' as const }
    expect(await store.compareAndSet('k', v0, v1)).toEqual({ ok: true, record: v1 })
    const stale = await store.compareAndSet('k', v0, { ...v0, version: 1 })
    expect(stale).toEqual({ ok: false, record: v1 })
    expect(await store.read('k', 0)).toBe(v1)
    expect((await store.read('other', 0)).version).toBe(0)
  })

  it('counts outcomes in a sliding window of 1-second buckets', async () => {
    const store = new MemoryBreakerStore()
    await store.recordOutcome('k', 'failure', 500, 3000, 0)
    await store.recordOutcome('k', 'failure', 1500, 3000, 0)
    expect(await store.recordOutcome('k', 'success', 2999, 3000, 0)).toEqual({ calls: 3, failures: 2, consecutiveFailures: 0 })
    // At 4000 the bucket [0, 1000) ended at or before now - windowMs: gone. [1000, 2000) stays.
    expect(await store.recordOutcome('k', 'failure', 4000, 3000, 0)).toEqual({ calls: 3, failures: 2, consecutiveFailures: 1 })
    expect(await store.recordOutcome('k', 'failure', 10_000, 3000, 0)).toEqual({ calls: 1, failures: 1, consecutiveFailures: 2 })
    expect(await store.recordOutcome('other', 'success', 10_000, 3000, 0)).toEqual({ calls: 1, failures: 0, consecutiveFailures: 0 })
  })

  it('starts over at a newer sinceMs: neither earlier buckets nor the streak before it count', async () => {
    const store = new MemoryBreakerStore()
    for (let t = 1000; t < 6000; t += 1000) await store.recordOutcome('k', 'failure', t, 60_000, 0)
    expect(await store.recordOutcome('k', 'failure', 6000, 60_000, 0)).toEqual({ calls: 6, failures: 6, consecutiveFailures: 6 })
    // Say the breaker closed at 6500: the rate counts from the bucket [7000, 8000), the streak from 6500.
    expect(await store.recordOutcome('k', 'failure', 6500, 60_000, 6500)).toEqual({ calls: 0, failures: 0, consecutiveFailures: 1 })
    expect(await store.recordOutcome('k', 'failure', 7000, 60_000, 6500)).toEqual({ calls: 1, failures: 1, consecutiveFailures: 2 })
    expect(await store.recordOutcome('k', 'success', 8000, 60_000, 6500)).toEqual({ calls: 2, failures: 1, consecutiveFailures: 0 })
  })

  it('counts none of the bucket sinceMs falls in towards the rate, but its failures towards the streak', async () => {
    const store = new MemoryBreakerStore()
    // A probe failure and success before a close at 5400, in the same second as the close.
    await store.recordOutcome('k', 'failure', 5100, 60_000, 0)
    await store.recordOutcome('k', 'success', 5300, 60_000, 0)
    // After the close, in the close's second: the rate cannot tell these from the ones before, so skips the bucket.
    expect(await store.recordOutcome('k', 'failure', 5400, 60_000, 5400)).toEqual({ calls: 0, failures: 0, consecutiveFailures: 1 })
    expect(await store.recordOutcome('k', 'failure', 5999, 60_000, 5400)).toEqual({ calls: 0, failures: 0, consecutiveFailures: 2 })
    expect(await store.recordOutcome('k', 'failure', 6000, 60_000, 5400)).toEqual({ calls: 1, failures: 1, consecutiveFailures: 3 })
  })

  it('skips the whole second of a sinceMs on a bucket boundary: its own millisecond may hold earlier outcomes', async () => {
    const store = new MemoryBreakerStore()
    await store.recordOutcome('k', 'success', 5000, 60_000, 0) // the last probe, in the close's millisecond
    expect(await store.recordOutcome('k', 'failure', 5000, 60_000, 5000)).toEqual({ calls: 0, failures: 0, consecutiveFailures: 1 })
    expect(await store.recordOutcome('k', 'failure', 6000, 60_000, 5000)).toEqual({ calls: 1, failures: 1, consecutiveFailures: 2 })
  })

  it('answers a caller with an older sinceMs (a stale record) from the newest one it was given', async () => {
    const store = new MemoryBreakerStore()
    await store.recordOutcome('k', 'failure', 1000, 60_000, 0)
    await store.recordOutcome('k', 'failure', 3000, 60_000, 2500)
    expect(await store.recordOutcome('k', 'failure', 4000, 60_000, 0)).toEqual({ calls: 2, failures: 2, consecutiveFailures: 2 })
  })

  it('keeps counting when the clock steps back', async () => {
    const store = new MemoryBreakerStore()
    await store.recordOutcome('k', 'failure', 5000, 60_000, 0)
    expect(await store.recordOutcome('k', 'failure', 3000, 60_000, 0)).toEqual({ calls: 2, failures: 2, consecutiveFailures: 2 })
  })
})
