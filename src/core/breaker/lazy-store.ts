/**
 * A store built on first use. The DynamoDB store pulls in the DynamoDB client, a fifth of the layer entry's cold
 * import; a function whose breaker never runs (or runs without a table) should not pay for it at init.
 */
import type { BreakerRecord, BreakerStore, CompareAndSetResult, ProbeChange, WindowCounts } from './types.js'

import type { AdmissionFeed } from '../admission/fleet-feed.js'
import { lazily } from '../lazy.js'

export class LazyBreakerStore implements BreakerStore {
  readonly #load: () => Promise<BreakerStore>
  #loaded: BreakerStore | undefined

  constructor(load: () => Promise<BreakerStore>) {
    this.#load = lazily(async () => (this.#loaded = await load()))
  }

  /** The store, loading it once. A failed load is retried at the next call (and is a store error meanwhile). */
  #get(): Promise<BreakerStore> {
    return this.#load()
  }

  /** The loaded store's feed (a store without one fails each report: the throttle then counts locally). */
  readonly admissionFeed: AdmissionFeed = {
    report: async (key, delta, now, windowMs) => {
      const feed = (await this.#get()).admissionFeed
      if (feed === undefined) throw new Error('the breaker store keeps no admission counts')
      return feed.report(key, delta, now, windowMs)
    },
  }

  peek(key: string, now: number): BreakerRecord | undefined {
    return this.#loaded?.peek?.(key, now)
  }

  async read(key: string, now: number): Promise<BreakerRecord> {
    return (await this.#get()).read(key, now)
  }

  async recordOutcome(key: string, outcome: 'success' | 'failure', now: number, windowMs: number, sinceMs: number): Promise<WindowCounts> {
    return (await this.#get()).recordOutcome(key, outcome, now, windowMs, sinceMs)
  }

  async compareAndSet(key: string, expected: BreakerRecord, next: BreakerRecord, change?: ProbeChange): Promise<CompareAndSetResult> {
    return (await this.#get()).compareAndSet(key, expected, next, change)
  }
}
