/**
 * The adaptive throttle fed by the fleet: one container at bench rates sends a target a few calls a second, too few
 * to reach MIN_REQUESTS in its window, so on its own it barely sheds while the fleet as a whole hammers a full quota.
 * With a feed (the breaker table's window items: aws/dynamodb/admission-feed.ts), a container that is being
 * throttled publishes its counts and reads the fleet's, and judges the target by the fleet's window.
 *
 * Cost: a container that saw no 429 from a target in the window neither publishes nor reads (the happy path makes
 * no call at all); one that did exchanges at most once per REPORT_INTERVAL_MS per target, and only when it has a
 * call to decide. A feed that fails leaves the throttle on its own counts for FEED_RETRY_MS: never an error to the
 * caller, never a wait beyond the feed's own budget.
 *
 * No count is seen twice: each of the container's counts is either unsent (in its own window), in flight (being
 * published), or published and then part of the fleet's buckets it read back — never two of these at once.
 */
import { SecondWindow } from '../window.js'

/** One target's admission counts over some span. */
export interface AdmissionCounts {
  /** Calls the callers wanted to send, shed ones included (a breaker's refusal taken back out). May be < 0 in a delta. */
  readonly requests: number
  /** Calls the target answered with anything but a throttle. */
  readonly accepts: number
  /** Calls the target throttled (429). */
  readonly throttles: number
}

/** The fleet's counts of one target per 1-second bucket, by the bucket's start (epoch ms, a whole second). */
export type FleetBuckets = ReadonlyMap<number, AdmissionCounts>

/** Where the fleet's admission counts live (one implementation: the DynamoDB breaker store's `admissionFeed`). */
export interface AdmissionFeed {
  /**
   * Adds `delta` (this container's counts since it last reported; all zero is a read only) to the fleet's bucket
   * of `now`, and returns the fleet's buckets of the window ending at `now` — the bucket of `now` and the
   * `windowMs / 1000 − 1` before it — with `delta` included. Rejects when the store fails or runs out of time;
   * then `delta` must not have been added.
   */
  report(key: string, delta: AdmissionCounts, now: number, windowMs: number): Promise<FleetBuckets>
}

/** A throttled container exchanges counts with the fleet at most this often per target. */
export const REPORT_INTERVAL_MS = 1_000
/** After a failed exchange the throttle runs on its own counts this long before trying the feed again. */
export const FEED_RETRY_MS = 5_000

/** Series of the unsent window, in the order of AdmissionCounts' fields. */
export const REQUESTS = 0
export const ACCEPTS = 1
export const THROTTLES = 2
type Series = typeof REQUESTS | typeof ACCEPTS | typeof THROTTLES

const ZERO: AdmissionCounts = Object.freeze({ requests: 0, accepts: 0, throttles: 0 })
const field = (c: AdmissionCounts, s: Series): number => (s === REQUESTS ? c.requests : s === ACCEPTS ? c.accepts : c.throttles)

/**
 * One target's counts as one container sees them: its own not yet published, plus the fleet's as last read. With
 * no feed nothing is ever published, and the totals are the container's own: the plain local throttle.
 */
export class TargetCounts {
  readonly #seconds: number
  readonly #unsent: SecondWindow
  #inFlight: AdmissionCounts = ZERO
  /** The fleet's buckets as last read, by second (epoch ms / 1000), ours published so far included. */
  #fleet: ReadonlyMap<number, AdmissionCounts> = new Map()
  /** When this container last saw the target throttle, and last started an exchange (-Infinity: never). */
  #throttledAt = -Infinity
  #reportedAt = -Infinity

  constructor(windowMs: number, now: number) {
    this.#seconds = windowMs / 1_000
    this.#unsent = new SecondWindow(this.#seconds, 3, now)
  }

  add(now: number, series: Series, n = 1): void {
    this.#unsent.add(now, series, n)
    if (series === THROTTLES) this.#throttledAt = now
  }

  /** The window's total of `series` at `now`: the fleet's buckets still in the window, and ours not in them. Never < 0. */
  total(now: number, series: Series): number {
    let sum = this.#unsent.total(now, series) + field(this.#inFlight, series)
    if (this.#fleet.size > 0) {
      const oldest = Math.floor(now / 1_000) - this.#seconds
      for (const [second, counts] of this.#fleet) if (second > oldest) sum += field(counts, series)
    }
    return Math.max(0, sum)
  }

  /** An exchange is due: the target throttled this container within the window, and none was started this interval. */
  due(now: number): boolean {
    return now - this.#throttledAt < this.#seconds * 1_000 && now - this.#reportedAt >= REPORT_INTERVAL_MS
  }

  /**
   * Publishes the unsent counts and reads the fleet's back. Resolves to nothing on success, to the feed's error when
   * it failed (the counts are then unsent again); never rejects.
   */
  async exchange(feed: AdmissionFeed, key: string, now: number, windowMs: number): Promise<{ readonly error: unknown } | undefined> {
    this.#reportedAt = now
    const taken = this.#unsent.takeAll(now)
    const [requests = 0, accepts = 0, throttles = 0] = taken.totals
    const delta: AdmissionCounts = { requests, accepts, throttles }
    this.#inFlight = delta
    try {
      const buckets = await feed.report(key, delta, now, windowMs)
      const fleet = new Map<number, AdmissionCounts>()
      for (const [start, counts] of buckets) fleet.set(Math.floor(start / 1_000), counts)
      this.#fleet = fleet
      return undefined
    } catch (error) {
      // Not published: ours again, each in its own second, as if never taken (the failure changes no decision).
      this.#unsent.restore(taken, now)
      return { error }
    } finally {
      this.#inFlight = ZERO
    }
  }
}

/** A feed with the throttle's failure rule: after a failure, quiet for FEED_RETRY_MS, for every target at once. */
export class FeedLink {
  readonly feed: AdmissionFeed
  readonly #onError: ((key: string, error: unknown) => void) | undefined
  #quietUntil = -Infinity

  constructor(feed: AdmissionFeed, onError?: (key: string, error: unknown) => void) {
    this.feed = feed
    this.#onError = onError
  }

  /** The exchange due for `counts` now, or undefined when none is (no promise on the happy path). Never rejects. */
  sync(key: string, counts: TargetCounts, now: number, windowMs: number): Promise<void> | undefined {
    if (now < this.#quietUntil || !counts.due(now)) return undefined
    return counts.exchange(this.feed, key, now, windowMs).then((failed) => {
      if (failed === undefined) return
      this.#quietUntil = now + FEED_RETRY_MS
      // A throwing listener must not turn the feed's failure into the caller's.
      try { this.#onError?.(key, failed.error) } catch { /* ignored */ }
    })
  }
}
