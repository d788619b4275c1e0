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
import { SecondWindow } from '../window.js'

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

const REQUESTS = 0
const ACCEPTS = 1

export class AdaptiveThrottle {
  readonly policy: AdaptiveThrottlePolicy
  readonly #windows = new Map<string, SecondWindow>()

  constructor(policy: Partial<AdaptiveThrottlePolicy> = {}) {
    this.policy = Object.freeze({ ...DEFAULT_ADAPTIVE_THROTTLE, ...policy })
    const { k, windowMs } = this.policy
    if (!(k >= 1) || !Number.isFinite(k)) throw new RangeError(`AdaptiveThrottle: k must be a finite number >= 1 (got ${k})`)
    if (!Number.isInteger(windowMs / 1_000) || windowMs < 1_000) {
      throw new RangeError(`AdaptiveThrottle: windowMs must be a whole number of seconds (got ${windowMs})`)
    }
  }

  /**
   * Whether to send a call to `key` now (`random` in [0, 1) decides the shed share). Counts the call as a request
   * either way: a shed call is demand the target could not take.
   */
  admit(key: string, now: number, random: () => number): boolean {
    const window = this.#window(key, now)
    const p = sheddingOf(window.total(now, REQUESTS), window.total(now, ACCEPTS), this.policy.k)
    window.add(now, REQUESTS)
    return p <= 0 || random() >= p
  }

  /**
   * A call `admit` let through was refused by the target's breaker before it was sent: it is taken back out of the
   * requests. Counted, an open breaker's refusals fill the window with requests and no accepts, and the probes
   * and first calls after its cooldown would be shed for a window, just when the target is back.
   */
  refused(key: string, now: number): void {
    const window = this.#windows.get(key)
    if (window !== undefined && window.total(now, REQUESTS) >= 1) window.add(now, REQUESTS, -1)
  }

  /** The target answered a call with anything but a throttle (a reply, or an error that is not a 429). */
  accepted(key: string, now: number): void {
    this.#window(key, now).add(now, ACCEPTS)
  }

  /** The share of calls to `key` shed right now (logs, tests). */
  sheddingRate(key: string, now: number): number {
    const window = this.#windows.get(key)
    return window === undefined ? 0 : sheddingOf(window.total(now, REQUESTS), window.total(now, ACCEPTS), this.policy.k)
  }

  #window(key: string, now: number): SecondWindow {
    let window = this.#windows.get(key)
    if (window === undefined) this.#windows.set(key, (window = new SecondWindow(this.policy.windowMs / 1_000, 2, now)))
    return window
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
