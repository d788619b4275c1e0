/** The probe-change contract (store-contract.ts) against the in-container stores and the wrappers a shared one runs behind. */
import { FallbackBreakerStore } from '../../../src/core/breaker/fallback-store.js'
import { LazyBreakerStore } from '../../../src/core/breaker/lazy-store.js'
import { MemoryBreakerStore } from '../../../src/core/breaker/memory-store.js'
import { FakeClock } from '../../support/fake-clock.js'
import { probeChangeContract } from './store-contract.js'

const T0 = 1_700_000_000_000

probeChangeContract('MemoryBreakerStore', async (n) => {
  const shared = new MemoryBreakerStore()
  return { stores: Array.from({ length: n }, () => shared), now: T0 }
})

probeChangeContract('LazyBreakerStore', async (n) => {
  const shared = new MemoryBreakerStore()
  return { stores: Array.from({ length: n }, () => new LazyBreakerStore(async () => shared)), now: T0 }
})

// Each container's fallback over one shared primary (standing in for the table), as the breaker wires it.
probeChangeContract('FallbackBreakerStore', async (n) => {
  const shared = new MemoryBreakerStore()
  const clock = new FakeClock(T0)
  return { stores: Array.from({ length: n }, () => new FallbackBreakerStore({ primary: shared, clock })), now: T0 }
})
