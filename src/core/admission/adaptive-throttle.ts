/**
 * Client-side adaptive throttling (Google SRE book, "Handling Overload"): per target, over a sliding window, a call
 * is shed before it is sent with probability `max(0, (requests − k·accepts) / (requests + 1))`, where `requests`
 * counts every call the caller wanted to make (shed ones included) and `accepts` those the target did not throttle.
 *
 * Why this and not the breaker: a 429 means the quota is spent, not that the target is down. With k = 2 the target
 * sees up to twice what it accepts, so it stays probed at its real capacity while the excess spills at once to a
 * target with headroom (or is answered 503 + Retry-After) instead of waiting out retries or a cooldown. When the
 * quota refills, accepts rise and shedding fades within the window, with no state machine to recover.
 * Why not AIMD: a per-container additive rate needs a rate to start from and converges per container, one container
 * at a time; the SRE ratio needs no configured rate, reacts within one window, and is the same formula in every
 * container, so a fleet sheds the same share everywhere.
 */
import { FeedLink, ACCEPTS, REQUESTS, TargetCounts, THROTTLES, type AdmissionFeed } from './fleet-feed.js'

export interface AdaptiveThrottlePolicy {
  /**
   * How many calls per accepted one a target may be sent before calls are shed. Default 2 (SRE's advice): up to half
   * of the calls may be throttled with no shedding at all; lower sheds sooner, higher wastes more calls on 429s.
   */
  readonly k: number
  /**
   * The window the counts cover, ms (whole seconds). Default 5 000: shedding fades within about two windows of the
   * quota's return (10 s), and five seconds of traffic are enough to judge a target by.
   */
  readonly windowMs: number
}

export const DEFAULT_ADAPTIVE_THROTTLE: AdaptiveThrottlePolicy = Object.freeze({ k: 2, windowMs: 5_000 })

/** Where the counts come from besides this container (fleet-feed.ts). */
export interface AdaptiveThrottleFleet {
  /** The fleet's counts; absent: this container's own only. */
  readonly feed?: AdmissionFeed | undefined
  /** Hears each failed exchange with the feed (the throttle then runs on its own counts for a while). */
  readonly onFeedError?: ((key: string, error: unknown) => void) | undefined
}

export class AdaptiveThrottle {
  readonly policy: AdaptiveThrottlePolicy
  readonly #counts = new Map<string, TargetCounts>()
  readonly #link: FeedLink | undefined

  constructor(policy: Partial<AdaptiveThrottlePolicy> = {}, fleet: AdaptiveThrottleFleet = {}) {
    this.policy = Object.freeze({ ...DEFAULT_ADAPTIVE_THROTTLE, ...policy })
    const { k, windowMs } = this.policy
    if (!(k >= 1) || !Number.isFinite(k)) throw new RangeError(`AdaptiveThrottle: k must be a finite number >= 1 (got ${k})`)
    if (!Number.isInteger(windowMs / 1_000) || windowMs < 1_000) {
      throw new RangeError(`AdaptiveThrottle: windowMs must be a whole number of seconds (got ${windowMs})`)
    }
    this.#link = fleet.feed === undefined ? undefined : new FeedLink(fleet.feed, fleet.onFeedError)
  }

  /** True when the counts are the fleet's (a feed is configured), not only this container's. */
  get fleetWide(): boolean {
    return this.#link !== undefined
  }

  /**
   * The exchange with the fleet due before deciding on a call to `key`, or undefined when none is: always without
   * a feed, and with one while this container has seen no 429 from `key` in the window (the happy path: no promise,
   * no call). Never rejects; takes at most the feed's own budget.
   */
  sync(key: string, now: number): Promise<void> | undefined {
    if (this.#link === undefined) return undefined
    const counts = this.#counts.get(key)
    return counts === undefined ? undefined : this.#link.sync(key, counts, now, this.policy.windowMs)
  }

  /**
   * Whether to send a call to `key` now (`random` in [0, 1) decides the shed share). Counts the call as a request
   * either way: a shed call is demand the target could not take.
   */
  admit(key: string, now: number, random: () => number): boolean {
    const counts = this.#countsOf(key, now)
    const p = sheddingOf(counts.total(now, REQUESTS), counts.total(now, ACCEPTS), this.policy.k)
    counts.add(now, REQUESTS)
    return p <= 0 || random() >= p
  }

  /**
   * A call `admit` let through was refused by the target's breaker before it was sent: it is taken back out of the
   * requests. Counted, an open breaker's refusals fill the window with requests and no accepts, and the probes
   * and first calls after its cooldown would be shed for a window, just when the target is back.
   */
  refused(key: string, now: number): void {
    const counts = this.#counts.get(key)
    if (counts !== undefined && counts.total(now, REQUESTS) >= 1) counts.add(now, REQUESTS, -1)
  }

  /** The target answered a call with anything but a throttle (a reply, or an error that is not a 429). */
  accepted(key: string, now: number): void {
    this.#countsOf(key, now).add(now, ACCEPTS)
  }

  /** The target throttled a call (429): with a feed, this container now exchanges counts with the fleet. */
  throttled(key: string, now: number): void {
    this.#countsOf(key, now).add(now, THROTTLES)
  }

  /** The share of calls to `key` shed right now (logs, tests). */
  sheddingRate(key: string, now: number): number {
    const counts = this.#counts.get(key)
    return counts === undefined ? 0 : sheddingOf(counts.total(now, REQUESTS), counts.total(now, ACCEPTS), this.policy.k)
  }

  #countsOf(key: string, now: number): TargetCounts {
    let counts = this.#counts.get(key)
    if (counts === undefined) this.#counts.set(key, (counts = new TargetCounts(this.policy.windowMs, now)))
    return counts
  }
}

/**
 * The most calls ever shed (Envoy's admission control caps it the same way, at 0.8 by default). Without a cap, a
 * target throttling everything for a while gets almost no calls, so almost no accepts come back when its quota
 * does, and shedding fades over five windows or more; with one call in ten still sent it fades in about two.
 */
export const MAX_SHED = 0.9

/**
 * Calls the window must hold before any is shed: two 429s in a quiet container would otherwise shed two calls in
 * three ((2 − 0) / 3), where SRE's formula assumes a busy client. Below this, retries in place handle a throttle.
 */
export const MIN_REQUESTS = 10

/** SRE's client-side rejection probability, capped at MAX_SHED, and 0 below MIN_REQUESTS. */
export const sheddingOf = (requests: number, accepts: number, k: number): number =>
  requests < MIN_REQUESTS ? 0 : Math.min(MAX_SHED, Math.max(0, (requests - k * accepts) / (requests + 1)))
