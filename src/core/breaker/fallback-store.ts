/**
 * A shared store with a local fallback: when the shared store (DynamoDB) fails, throttles or times out, the breaker
 * carries on with in-container state for a while instead of failing or holding up the user's request, and tries
 * the shared store again after `retryAfterMs`. Each store keeps its own records; after a switch the breaker's next
 * compare-and-set is checked against the record of the store now in use, and when its version differs (the usual
 * case) the breaker re-decides on that record.
 */
import { systemClock, type Clock } from '../clock.js'
import { MemoryBreakerStore } from './memory-store.js'
import type { BreakerRecord, BreakerStore, CompareAndSetResult, WindowCounts } from './types.js'

export interface FallbackStoreOptions {
  /** The shared store. */
  readonly primary: BreakerStore
  /** Where state lives while the shared store is down. Default: a MemoryBreakerStore. */
  readonly local?: BreakerStore
  /** After a failure, how long to stay local before trying the shared store again, ms. Default 30 000. */
  readonly retryAfterMs?: number
  /** Hears every failure of the shared store (the breaker turns it into `BreakerStoreErrors`). */
  readonly onError?: (operation: 'read' | 'recordOutcome' | 'compareAndSet', key: string, error: unknown) => void
  readonly clock?: Clock
}

export class FallbackBreakerStore implements BreakerStore {
  readonly #primary: BreakerStore
  readonly #local: BreakerStore
  readonly #retryAfterMs: number
  readonly #onError: FallbackStoreOptions['onError']
  readonly #clock: Clock
  #localUntil = 0

  constructor(options: FallbackStoreOptions) {
    this.#primary = options.primary
    this.#local = options.local ?? new MemoryBreakerStore()
    this.#retryAfterMs = options.retryAfterMs ?? 30_000
    this.#onError = options.onError
    this.#clock = options.clock ?? systemClock
  }

  /** True while the breaker runs on local state because the shared store failed. */
  get local(): boolean {
    return this.#clock.now() < this.#localUntil
  }

  read(key: string, now: number): Promise<BreakerRecord> {
    return this.#use('read', key, (s) => s.read(key, now))
  }

  recordOutcome(key: string, outcome: 'success' | 'failure', now: number, windowMs: number, sinceMs: number): Promise<WindowCounts> {
    return this.#use('recordOutcome', key, (s) => s.recordOutcome(key, outcome, now, windowMs, sinceMs))
  }

  compareAndSet(key: string, expected: BreakerRecord, next: BreakerRecord): Promise<CompareAndSetResult> {
    return this.#use('compareAndSet', key, (s) => s.compareAndSet(key, expected, next))
  }

  async #use<T>(operation: 'read' | 'recordOutcome' | 'compareAndSet', key: string, op: (store: BreakerStore) => Promise<T>): Promise<T> {
    if (this.local) return op(this.#local)
    try {
      return await op(this.#primary)
    } catch (error) {
      this.#localUntil = this.#clock.now() + this.#retryAfterMs
      try {
        this.#onError?.(operation, key, error)
      } catch { /* a failing listener must not turn a store outage into a request failure */ }
      return op(this.#local)
    }
  }
}
