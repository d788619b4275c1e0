/**
 * A shared store with a local fallback: when the shared store (DynamoDB) fails, throttles or times out, the breaker
 * carries on with in-container state for a while instead of failing or holding up the user's request, and tries
 * the shared store again after `retryAfterMs`.
 *
 * The two stores never mix: every record handed out is remembered with the store it came from, and a
 * compare-and-set goes only to that store while it is the one in use; a decision taken on the other store's record
 * loses and is taken again on the current one. The local store starts from the last record the shared one gave
 * (an open breaker stays open while DynamoDB is down), not from a blank closed state.
 */
import { systemClock, type Clock } from '../clock.js'
import { MemoryBreakerStore } from './memory-store.js'
import type { BreakerRecord, BreakerStore, CompareAndSetResult, ProbeChange, WindowCounts } from './types.js'

export interface FallbackStoreOptions {
  /** The shared store. */
  readonly primary: BreakerStore
  /** Where state lives while the shared store is down. Default: a MemoryBreakerStore. */
  readonly local?: BreakerStore
  /**
   * After a failure, how long to stay local before trying the shared store again, ms. Default 30 000. The first
   * failure after the shared store last answered waits at most QUICK_RETRY_MS: one slow call (a cold connection
   * in a burst of new containers) must not take a container off the fleet's state for the whole period.
   */
  readonly retryAfterMs?: number
  /** Hears every failure of the shared store (the breaker turns it into `BreakerStoreErrors`). */
  readonly onError?: (operation: 'read' | 'recordOutcome' | 'compareAndSet', key: string, error: unknown) => void
  readonly clock?: Clock
}

type Origin = 'primary' | 'local'

/** The wait after a first failure: long enough not to hammer a table that is down, short next to a spike. */
export const QUICK_RETRY_MS = 2_000

export class FallbackBreakerStore implements BreakerStore {
  readonly #primary: BreakerStore
  readonly #local: BreakerStore
  readonly #retryAfterMs: number
  readonly #onError: FallbackStoreOptions['onError']
  readonly #clock: Clock
  /** Which store each record handed out came from. */
  readonly #origin = new WeakMap<BreakerRecord, Origin>()
  /** The newest record the shared store gave per key: the local store's starting point. */
  readonly #lastShared = new Map<string, BreakerRecord>()
  /** Local episodes (stretches of local mode) so far, and the one in which each key's local record was seeded. */
  #episode = 0
  readonly #seededIn = new Map<string, number>()
  #localUntil = 0
  /** Failures of the shared store since it last answered: the first is retried soon, the next ones later. */
  #failuresInARow = 0

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

  /**
   * Only the store in use is peeked, and the local one only once it holds this episode's seed (seeding is async).
   * A peeked record is only ever decided on without a write, so it needs no origin tag.
   */
  peek(key: string, now: number): BreakerRecord | undefined {
    if (!this.local) return this.#primary.peek?.(key, now)
    const seeded = !this.#lastShared.has(key) || this.#seededIn.get(key) === this.#episode
    return seeded ? this.#local.peek?.(key, now) : undefined
  }

  async read(key: string, now: number): Promise<BreakerRecord> {
    return this.#use('read', key, (store, origin) => this.#tag(store.read(key, now), origin, key))
  }

  recordOutcome(key: string, outcome: 'success' | 'failure', now: number, windowMs: number, sinceMs: number): Promise<WindowCounts> {
    return this.#use('recordOutcome', key, (s) => s.recordOutcome(key, outcome, now, windowMs, sinceMs))
  }

  async compareAndSet(key: string, expected: BreakerRecord, next: BreakerRecord, change?: ProbeChange): Promise<CompareAndSetResult> {
    return this.#use('compareAndSet', key, async (store, origin) => {
      if ((this.#origin.get(expected) ?? 'primary') !== origin) {
        // Decided on the other store's record: lose, and let the breaker decide again on this store's.
        return { ok: false, record: await this.#tag(store.read(key, this.#clock.now()), origin, key) }
      }
      // A probe change goes along: it was decided on this store's record, so it may land on this store's newer one.
      const result = await store.compareAndSet(key, expected, next, change)
      await this.#tag(Promise.resolve(result.record), origin, key)
      return result
    })
  }

  async #tag(record: Promise<BreakerRecord>, origin: Origin, key: string): Promise<BreakerRecord> {
    const r = await record
    this.#origin.set(r, origin)
    if (origin === 'primary') this.#lastShared.set(key, r)
    return r
  }

  async #use<T>(
    operation: 'read' | 'recordOutcome' | 'compareAndSet', key: string, op: (store: BreakerStore, origin: Origin) => Promise<T>,
  ): Promise<T> {
    if (this.local) return op(await this.#seeded(key), 'local')
    try {
      const result = await op(this.#primary, 'primary')
      this.#failuresInARow = 0
      return result
    } catch (error) {
      if (!this.local) this.#episode++
      this.#failuresInARow++
      const waitMs = this.#failuresInARow === 1 ? Math.min(this.#retryAfterMs, QUICK_RETRY_MS) : this.#retryAfterMs
      this.#localUntil = this.#clock.now() + waitMs
      try {
        this.#onError?.(operation, key, error)
      } catch { /* a failing listener must not turn a store outage into a request failure */ }
      return op(await this.#seeded(key), 'local')
    }
  }

  /** The local store, starting each local episode of `key` from the last record the shared store gave for it. */
  async #seeded(key: string): Promise<BreakerStore> {
    const shared = this.#lastShared.get(key)
    if (shared !== undefined && this.#seededIn.get(key) !== this.#episode) {
      this.#seededIn.set(key, this.#episode)
      const current = await this.#local.read(key, this.#clock.now())
      // A copy: the shared record object stays tagged as the shared store's.
      await this.#local.compareAndSet(key, current, { ...shared })
    }
    return this.#local
  }
}
