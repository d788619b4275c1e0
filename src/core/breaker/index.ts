/** The circuit breaker: pure state machine, policy validation, the in-container store and the store-backed breaker. */
export * from './types.js'
export {
  admit, admitWithoutStore, onSuccess, onFailure, release, shouldTrip, cooldownFor, stageSize, type AdmitResult,
} from './machine.js'
export { resolvePolicy } from './policy.js'
export { MemoryBreakerStore } from './memory-store.js'
export { CircuitBreaker, type CircuitBreakerOptions } from './circuit-breaker.js'
