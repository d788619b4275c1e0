/**
 * A breaker store that lives in the container: one process, so every method is atomic by construction (nothing
 * awaits between the version check and the write). Used alone for a per-container breaker, in tests, and as the
 * local fallback of a shared store. This is the hot path of every call, so it allocates little and never scans
 * more than one window of 1-second buckets.
 */
import { initialRecord, type BreakerRecord, type BreakerStore, type CompareAndSetResult, type WindowCounts } from './types.js'

/** Width of one window bucket. Outcomes are counted per second; the window slides a bucket at a time. */
const BUCKET_MS = 1000

interface Bucket {
  /** Start of the bucket, epoch ms, a multiple of BUCKET_MS. */
  readonly start: number
  calls: number
  failures: number
}

interface OutcomeWindow {
  /** Oldest first. */
  readonly buckets: Bucket[]
  calls: number
  failures: number
  consecutiveFailures: number
}

export class MemoryBreakerStore implements BreakerStore {
  readonly #records = new Map<string, BreakerRecord>()
  readonly #windows = new Map<string, OutcomeWindow>()

  async read(key: string, _now: number): Promise<BreakerRecord> {
    return this.#records.get(key) ?? initialRecord()
  }

  async compareAndSet(key: string, expected: BreakerRecord, next: BreakerRecord): Promise<CompareAndSetResult> {
    const stored = this.#records.get(key) ?? initialRecord()
    if (stored.version !== expected.version) return { ok: false, record: stored }
    this.#records.set(key, next)
    return { ok: true, record: next }
  }

  async recordOutcome(key: string, outcome: 'success' | 'failure', now: number, windowMs: number): Promise<WindowCounts> {
    let window = this.#windows.get(key)
    if (window === undefined) {
      window = { buckets: [], calls: 0, failures: 0, consecutiveFailures: 0 }
      this.#windows.set(key, window)
    }
    slide(window, now, windowMs)
    const start = now - (now % BUCKET_MS)
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
      window.consecutiveFailures += 1
    } else {
      window.consecutiveFailures = 0
    }
    return { calls: window.calls, failures: window.failures, consecutiveFailures: window.consecutiveFailures }
  }

  /** Forgets every record and window (tests, or a container that wants a clean slate). */
  clear(): void {
    this.#records.clear()
    this.#windows.clear()
  }
}

/** Drops buckets that ended at or before `now - windowMs`, keeping the running totals in step. */
function slide(window: OutcomeWindow, now: number, windowMs: number): void {
  const horizon = now - windowMs
  let drop = 0
  for (const bucket of window.buckets) {
    if (bucket.start + BUCKET_MS > horizon) break
    window.calls -= bucket.calls
    window.failures -= bucket.failures
    drop += 1
  }
  if (drop > 0) window.buckets.splice(0, drop)
}
