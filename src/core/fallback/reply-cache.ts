/**
 * The cached-response fallback's store: an in-container LRU of good replies, each kept at most `ttlMs`. A Map keeps
 * insertion order, so re-inserting on a hit makes "least recently used" simply the first key: get and set are O(1).
 * Pure: the caller supplies the time (`now`), so tests need no real clock.
 */

export interface ReplyCacheOptions {
  /** Replies kept per container; the least recently used goes first. Default 500. */
  readonly maxEntries: number
  /** How long a reply may be served from the cache after it was stored, in ms. Default 3 600 000 (an hour). */
  readonly ttlMs: number
}

export const DEFAULT_REPLY_CACHE: ReplyCacheOptions = Object.freeze({ maxEntries: 500, ttlMs: 3_600_000 })

interface Entry<V> {
  readonly value: V
  readonly storedAt: number
}

export class ReplyCache<V> {
  private readonly entries = new Map<string, Entry<V>>()

  constructor(readonly options: ReplyCacheOptions = DEFAULT_REPLY_CACHE) {}

  get size(): number {
    return this.entries.size
  }

  /** The reply stored under `key` if it is younger than `ttlMs`; a hit becomes the most recently used. */
  get(key: string, now: number): V | undefined {
    const entry = this.entries.get(key)
    if (!entry) return undefined
    this.entries.delete(key)
    // Freshness is the reply's age, not the time since it was last served: a hot stale answer still expires.
    if (now - entry.storedAt >= this.options.ttlMs) return undefined
    this.entries.set(key, entry)
    return entry.value
  }

  /** Stores (or replaces) the reply under `key`, evicting the least recently used beyond `maxEntries`. */
  set(key: string, value: V, now: number): void {
    this.entries.delete(key)
    this.entries.set(key, { value, storedAt: now })
    while (this.entries.size > this.options.maxEntries) {
      const oldest = this.entries.keys().next()
      if (oldest.done) break
      this.entries.delete(oldest.value)
    }
  }
}
