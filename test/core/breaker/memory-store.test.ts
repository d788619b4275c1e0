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
    await store.recordOutcome('k', 'failure', 500, 3000)
    await store.recordOutcome('k', 'failure', 1500, 3000)
    expect(await store.recordOutcome('k', 'success', 2999, 3000)).toEqual({ calls: 3, failures: 2, consecutiveFailures: 0 })
    // At 4000 the bucket [0, 1000) ended at or before now - windowMs: gone. [1000, 2000) stays.
    expect(await store.recordOutcome('k', 'failure', 4000, 3000)).toEqual({ calls: 3, failures: 2, consecutiveFailures: 1 })
    expect(await store.recordOutcome('k', 'failure', 10_000, 3000)).toEqual({ calls: 1, failures: 1, consecutiveFailures: 2 })
    expect(await store.recordOutcome('other', 'success', 10_000, 3000)).toEqual({ calls: 1, failures: 0, consecutiveFailures: 0 })
  })

  it('keeps counting when the clock steps back', async () => {
    const store = new MemoryBreakerStore()
    await store.recordOutcome('k', 'failure', 5000, 60_000)
    expect(await store.recordOutcome('k', 'failure', 3000, 60_000)).toEqual({ calls: 2, failures: 2, consecutiveFailures: 2 })
  })
})
