/**
 * How fast a target generates, and how many output tokens fit a time slice. A call's latency is modelled as
 * `firstByteMs + outputTokens / tokensPerSecond`: a fixed cost (queueing, prompt processing, network) plus the
 * generation itself.
 *
 * Estimation, kept simple:
 * - when the samples' output lengths vary enough (coefficient of variation >= 0.25), a least-squares line through
 *   (tokens, latency) gives both terms: the slope is ms per token, the intercept the fixed cost (clamped to
 *   [0, fastest call]);
 * - otherwise the line is not trustworthy, so the estimate is the conservative pair: aggregate throughput
 *   (all tokens / all time, which counts the fixed cost as generation time) and the fastest call's latency as the
 *   fixed cost. With that pair a planned call never runs past its slice (the fixed cost is at most the fastest
 *   call, and the true speed is at least the aggregate throughput); it only asks for fewer tokens than it could.
 */

export interface Speed {
  /** Output tokens generated per second, once the first byte is out. */
  readonly tokensPerSecond: number
  /** The fixed cost of a call before generation, ms. */
  readonly firstByteMs: number
  /** The most output tokens a call to this target produced: a `maxTokens` the model is known to accept. */
  readonly maxOutputTokens: number
}

/** Below this coefficient of variation of output lengths, the fitted line is mostly noise. */
const MIN_SPREAD = 0.25
/** Share of the slice a planned call may use: the rest absorbs the estimate's error and jitter. */
export const PLAN_MARGIN = 0.9
/** A reply capped shorter than this is rarely worth sending: the attempt then goes ahead as asked. */
export const MIN_PLANNED_TOKENS = 32

/** The speed implied by calls that reported output tokens (at least one with tokens > 0), or undefined. */
export function estimateSpeed(samples: ReadonlyArray<{ readonly latencyMs: number; readonly tokens: number }>): Speed | undefined {
  const n = samples.length
  let sumT = 0, sumL = 0, minL = Infinity, maxT = 0
  for (const s of samples) {
    sumT += s.tokens
    sumL += s.latencyMs
    minL = Math.min(minL, s.latencyMs)
    maxT = Math.max(maxT, s.tokens)
  }
  if (n === 0 || sumT <= 0 || sumL <= 0) return undefined
  const meanT = sumT / n
  const meanL = sumL / n
  let sxx = 0, sxy = 0
  for (const s of samples) {
    sxx += (s.tokens - meanT) ** 2
    sxy += (s.tokens - meanT) * (s.latencyMs - meanL)
  }
  const spread = Math.sqrt(sxx / n) / meanT
  if (spread >= MIN_SPREAD && sxy > 0) {
    const msPerToken = sxy / sxx
    const firstByteMs = Math.min(Math.max(0, meanL - msPerToken * meanT), minL)
    return { tokensPerSecond: 1000 / msPerToken, firstByteMs, maxOutputTokens: maxT }
  }
  return { tokensPerSecond: (sumT / sumL) * 1000, firstByteMs: minL, maxOutputTokens: maxT }
}

/** The output tokens a call starting now can generate within `sliceMs`: floor(tps × (margin × slice − firstByte)). */
export function tokensWithin(speed: Speed, sliceMs: number): number {
  const generationMs = PLAN_MARGIN * sliceMs - speed.firstByteMs
  return generationMs > 0 ? Math.floor((speed.tokensPerSecond * generationMs) / 1000) : 0
}

/**
 * The `maxTokens` to cap an attempt at, or undefined to leave it as asked: when the tokens that fit the slice are
 * fewer than asked for (the request's `maxTokens`, else the most the target has produced — a value its model
 * accepts, where a guess beyond the model's limit would be rejected as invalid), and still a useful reply.
 */
export function plannedMaxTokens(
  speed: Speed | undefined, sliceMs: number, requested: number | undefined, targetCap: number | undefined,
): number | undefined {
  if (speed === undefined) return undefined
  const asked = Math.min(requested ?? speed.maxOutputTokens, targetCap ?? Infinity)
  const fits = tokensWithin(speed, sliceMs)
  return fits < asked && fits >= MIN_PLANNED_TOKENS ? fits : undefined
}
