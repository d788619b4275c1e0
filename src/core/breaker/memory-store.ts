/**
 * A breaker store that lives in the container: one process, so every method is atomic by construction (nothing
 * awaits between the version check and the write). Used alone for a per-container breaker, in tests, and as the
 * local fallback of a shared store. This is the hot path of every call, so it allocates little and never scans
 * more than one window of 1-second buckets. Buckets before the newest `sinceMs` are dropped rather than kept for
 * a caller with an older one (which BreakerStore.recordOutcome allows), so one running total serves every call.
 */
import { applyProbeChange } from './probe-change.js'
import {
  initialRecord, type BreakerRecord, type BreakerStore, type CompareAndSetResult, type ProbeChange, type WindowCounts,
} from './types.js'

/** Width of one window bucket. Outcomes are counted per second; the window slides a bucket at a time. */
const BUCKET_MS = 1000
/** What `peek` answers for a key never written: the same closed record each time, nothing allocated. */
const CLOSED: BreakerRecord = Object.freeze(initialRecord())

interface Bucket {
  /** Start of the bucket, epoch ms, a multiple of BUCKET_MS. */
  readonly start: number
  calls: number
  failures: number
}

interface OutcomeWindow {
  /** Oldest first, none starting before `from`. */
  readonly buckets: Bucket[]
  calls: number
  failures: number
  consecutiveFailures: number
  /** The newest `sinceMs` given: the streak counts from it. */
  since: number
  /** The first bucket start after `since`: buckets before it no longer count. */
  from: number
}

export class MemoryBreakerStore implements BreakerStore {
  readonly #records = new Map<string, BreakerRecord>()
  readonly #windows = new Map<string, OutcomeWindow>()

  async read(key: string, _now: number): Promise<BreakerRecord> {
    return this.#records.get(key) ?? initialRecord()
  }

  peek(key: string, _now: number): BreakerRecord {
    return this.#records.get(key) ?? CLOSED
  }

  async compareAndSet(key: string, expected: BreakerRecord, next: BreakerRecord, change?: ProbeChange): Promise<CompareAndSetResult> {
    const stored = this.#records.get(key) ?? initialRecord()
    // A probe change lands on whatever record is stored if it still fits, as it does in the shared store.
    const written = change !== undefined ? applyProbeChange(stored, change)
      : stored.version === expected.version ? next : undefined
    if (written === undefined) return { ok: false, record: stored }
    this.#records.set(key, written)
    return { ok: true, record: written }
  }

  async recordOutcome(
    key: string, outcome: 'success' | 'failure', now: number, windowMs: number, sinceMs: number,
  ): Promise<WindowCounts> {
    const window = this.#count(key, outcome, now, windowMs, sinceMs)
    return { calls: window.calls, failures: window.failures, consecutiveFailures: window.consecutiveFailures }
  }

  countSuccess(key: string, now: number, windowMs: number, sinceMs: number): void {
    this.#count(key, 'success', now, windowMs, sinceMs)
  }

  #count(key: string, outcome: 'success' | 'failure', now: number, windowMs: number, sinceMs: number): OutcomeWindow {
    let window = this.#windows.get(key)
    if (window === undefined) {
      window = { buckets: [], calls: 0, failures: 0, consecutiveFailures: 0, since: 0, from: 0 }
      this.#windows.set(key, window)
    }
    startOver(window, sinceMs)
    slide(window, now, windowMs)
    if (outcome === 'failure') window.consecutiveFailures += 1
    else window.consecutiveFailures = 0
    const start = now - (now % BUCKET_MS)
    // The bucket `since` falls in is part before, part after: none of it counts (see BreakerStore.recordOutcome).
    if (start >= window.from) {
      let bucket = window.buckets[window.buckets.length - 1]
      // A clock that steps back (it should not, but) lands in the newest bucket rather than out of order.
      if (bucket === undefined || start > bucket.start) {
        bucket = { start, calls: 0, failures: 0 }
        window.buckets.push(bucket)
      }
      bucket.calls += 1
      window.calls += 1
      if (outcome === 'failure') {
        bucket.failures += 1
        window.failures += 1
      }
    }
    return window
  }

  /** Forgets every record and window (tests, or a container that wants a clean slate). */
  clear(): void {
    this.#records.clear()
    this.#windows.clear()
  }
}

/**
 * A newer `sinceMs` (the breaker changed state) starts the window over: the streak restarts and buckets that began
 * before it go. An older one comes from a caller holding a stale record; it is answered from the newest.
 */
function startOver(window: OutcomeWindow, sinceMs: number): void {
  if (!(sinceMs > window.since)) return
  window.since = sinceMs
  window.consecutiveFailures = 0
  // The bucket `sinceMs` falls in (even one starting at that very ms) may hold outcomes from before it: skip it.
  window.from = (Math.floor(sinceMs / BUCKET_MS) + 1) * BUCKET_MS
  let drop = 0
  while (drop < window.buckets.length && (window.buckets[drop] as Bucket).start < window.from) drop++
  dropFirst(window, drop)
}

/** Drops buckets that ended at or before `now - windowMs`. */
function slide(window: OutcomeWindow, now: number, windowMs: number): void {
  const horizon = now - windowMs
  let drop = 0
  while (drop < window.buckets.length && (window.buckets[drop] as Bucket).start + BUCKET_MS <= horizon) drop++
  dropFirst(window, drop)
}

/** Drops the `n` oldest buckets, keeping the running totals in step. (Loops, not a predicate: no closure per call.) */
function dropFirst(window: OutcomeWindow, n: number): void {
  if (n === 0) return
  for (let i = 0; i < n; i++) {
    const bucket = window.buckets[i] as Bucket
    window.calls -= bucket.calls
    window.failures -= bucket.failures
  }
  window.buckets.splice(0, n)
}
