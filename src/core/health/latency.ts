/**
 * In-container health of each target, from its recent successful calls: latency percentiles (p50, p95) and, when
 * the calls report output tokens, how fast the target generates. Kept per container, like the breaker's cache:
 * a Lambda instance learns from the calls it made itself, with no store round trip on the request path.
 *
 * Samples age out (`maxAgeMs`), so a region that sank for being slow, and so gets no traffic, is forgotten and
 * tried again in its configured place: it cannot stay sunk on old news.
 */
import { systemClock, type Clock } from '../clock.js'
import { estimateSpeed, type Speed } from './speed.js'

export type { Speed } from './speed.js'

export interface LatencyTrackerOptions {
  /** Successful calls remembered per target. Default 64. */
  readonly size?: number
  /** Samples older than this are ignored, ms. Default 60 000: a region that sank is tried again within a minute. */
  readonly maxAgeMs?: number
  /** A target is judged only on at least this many fresh samples. Default 5. */
  readonly minSamples?: number
  /** Time source. Default: the system clock. */
  readonly clock?: Clock
}

/** What the tracker knows of one target. */
export interface TargetHealth {
  /** Fresh samples the figures stand on. */
  readonly samples: number
  readonly p50Ms: number
  readonly p95Ms: number
  /** Generation speed, when enough calls reported their output tokens. */
  readonly speed?: Speed
}

/** One target's last `size` calls: latency, output tokens (NaN = not reported) and when, in parallel rings. */
class Ring {
  readonly latency: Float64Array
  readonly tokens: Float64Array
  readonly at: Float64Array
  next = 0
  count = 0
  /** Samples pushed so far (never wraps back): tells a memo how many samples arrived since it was computed. */
  pushed = 0
  /** Of those, the ones that reported output tokens. */
  pushedTokens = 0
  /**
   * The last health computed from this ring, and when. Reused for a second, or until half of the ring is new:
   * every call pushes a sample, and re-sorting the ring per call was the hot path's largest cost. While the target
   * is not yet known (too few samples), each new sample is looked at, so the first verdict comes at once.
   */
  memo: {
    readonly value: TargetHealth | undefined; readonly at: number
    readonly pushed: number; readonly pushedTokens: number; readonly tokenSamples: number
  } | undefined

  constructor(size: number) {
    this.latency = new Float64Array(size)
    this.tokens = new Float64Array(size)
    this.at = new Float64Array(size)
  }

  push(latencyMs: number, outputTokens: number, at: number): void {
    this.latency[this.next] = latencyMs
    this.tokens[this.next] = outputTokens
    this.at[this.next] = at
    this.next = (this.next + 1) % this.latency.length
    this.count = Math.min(this.count + 1, this.latency.length)
    this.pushed++
    if (!Number.isNaN(outputTokens)) this.pushedTokens++
  }
}

/** How long a computed health is reused when no sample arrives (samples only age out, slowly). */
const MEMO_MS = 1_000

/** Nearest-rank percentile of an ascending list. */
const percentile = (sorted: ArrayLike<number>, p: number): number => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] as number

export class LatencyTracker {
  readonly size: number
  readonly maxAgeMs: number
  readonly minSamples: number
  readonly #clock: Clock
  readonly #rings = new Map<string, Ring>()

  constructor(options: LatencyTrackerOptions = {}) {
    this.size = options.size ?? 64
    this.maxAgeMs = options.maxAgeMs ?? 60_000
    this.minSamples = options.minSamples ?? 5
    this.#clock = options.clock ?? systemClock
    if (!Number.isInteger(this.size) || this.size < 1) {
      throw new RangeError(`LatencyTracker: size must be a positive integer (got ${this.size})`)
    }
    if (!(this.maxAgeMs > 0)) throw new RangeError(`LatencyTracker: maxAgeMs must be > 0 (got ${this.maxAgeMs})`)
    if (!Number.isInteger(this.minSamples) || this.minSamples < 1) {
      throw new RangeError(`LatencyTracker: minSamples must be a positive integer (got ${this.minSamples})`)
    }
  }

  /** The tracker's clock's time (callers read it once for several lookups). */
  now(): number {
    return this.#clock.now()
  }

  /**
   * Records one successful call to `key` (a `targetKey`). `outputTokens` when the reply reported it; `at` when the
   * caller has read the clock as the call ended.
   */
  record(key: string, latencyMs: number, outputTokens?: number, at = this.#clock.now()): void {
    if (!Number.isFinite(latencyMs) || latencyMs < 0) return
    let ring = this.#rings.get(key)
    if (ring === undefined) this.#rings.set(key, (ring = new Ring(this.size)))
    const tokens = outputTokens !== undefined && Number.isFinite(outputTokens) && outputTokens >= 0 ? outputTokens : NaN
    ring.push(latencyMs, tokens, at)
  }

  /** The target's health from its fresh samples, or undefined while there are fewer than `minSamples`. */
  health(key: string, now = this.#clock.now()): TargetHealth | undefined {
    const ring = this.#rings.get(key)
    if (ring === undefined) return undefined
    // On the hot path per call (order, then maxTokens plan): sorting 64 samples each time was the cost.
    const memo = ring.memo
    if (memo !== undefined && now - memo.at < MEMO_MS) {
      const fresh = ring.pushed - memo.pushed
      // Not yet known (latency, or speed while samples with tokens arrive): each new sample is looked at.
      const unknown = memo.value === undefined
        || (memo.tokenSamples < this.minSamples && ring.pushedTokens !== memo.pushedTokens)
      if (fresh === 0 || (!unknown && fresh < Math.max(1, this.size >> 1))) return memo.value
    }
    const { value, tokenSamples } = this.#compute(ring, now)
    ring.memo = { value, at: now, pushed: ring.pushed, pushedTokens: ring.pushedTokens, tokenSamples }
    return value
  }

  /** The health from the fresh samples, and how many of them reported tokens. */
  #compute(ring: Ring, now: number): { readonly value: TargetHealth | undefined; readonly tokenSamples: number } {
    const since = now - this.maxAgeMs
    // A typed array sorts numerically with no comparator calls.
    const fresh = new Float64Array(ring.count)
    let n = 0
    const withTokens: Array<{ latencyMs: number; tokens: number }> = []
    for (let i = 0; i < ring.count; i++) {
      if (ring.at[i]! < since) continue
      const latencyMs = ring.latency[i]!
      fresh[n++] = latencyMs
      const tokens = ring.tokens[i]!
      if (!Number.isNaN(tokens)) withTokens.push({ latencyMs, tokens })
    }
    const tokenSamples = withTokens.length
    if (n < this.minSamples) return { value: undefined, tokenSamples }
    const latencies = fresh.subarray(0, n).sort()
    const value: { -readonly [K in keyof TargetHealth]: TargetHealth[K] } = {
      samples: latencies.length, p50Ms: percentile(latencies, 0.5), p95Ms: percentile(latencies, 0.95),
    }
    const speed = tokenSamples >= this.minSamples ? estimateSpeed(withTokens) : undefined
    if (speed) value.speed = speed
    return { value, tokenSamples }
  }

  /** Forgets everything (tests, or a container told the fleet changed). */
  clear(): void {
    this.#rings.clear()
  }
}
