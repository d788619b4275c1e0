import { LazyBreakerStore } from '../../../src/core/breaker/lazy-store.js'
import { MemoryBreakerStore } from '../../../src/core/breaker/memory-store.js'
import { initialRecord } from '../../../src/core/breaker/types.js'

describe('LazyBreakerStore', () => {
  it('loads the store once, on first use, and delegates to it', async () => {
    const inner = new MemoryBreakerStore()
    let loads = 0
    const lazy = new LazyBreakerStore(async () => { loads++; return inner })
    expect(loads).toBe(0)
    const first = await lazy.read('k', 0)
    await lazy.compareAndSet('k', first, { ...initialRecord(), version: 1, state: 'open', openUntil: 5 })
    expect(await inner.read('k', 0)).toMatchObject({ state: 'open', version: 1 })
    expect(await lazy.recordOutcome('k', 'failure', 0, 1_000, 0)).toMatchObject({ consecutiveFailures: 1 })
    expect(loads).toBe(1)
  })

  it('a failed load is an error of that call and is tried again at the next one', async () => {
    let loads = 0
    const lazy = new LazyBreakerStore(async () => {
      if (++loads === 1) throw new Error('cannot load')
      return new MemoryBreakerStore()
    })
    await expect(lazy.read('k', 0)).rejects.toThrow('cannot load')
    await expect(lazy.read('k', 0)).resolves.toMatchObject({ state: 'closed' })
    expect(loads).toBe(2)
  })
})
