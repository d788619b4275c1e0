/**
 * What the fallback does with each failure class beyond walking the cascade: shorten the history on context
 * overflow, ask for fewer tokens after a timeout, re-ask after malformed output, serve a cached reply (opt-in) when
 * every target failed.
 */
import { boolean, number, object, oneOf, parseOptions } from '../config/index.js'
import { capMaxTokens, keepNewestMessages, type ConverseLike } from './messages.js'
import { DEFAULT_REPLY_CACHE, type ReplyCacheOptions } from './reply-cache.js'
import { HEDGE_OPTIONS, resolveHedge, type HedgePolicy } from './hedge-policy.js'
import { resolveSummarize, SUMMARIZE_OPTIONS, type SummarizeOptions, type SummarizePolicy } from './summarize-policy.js'

export interface FallbackPolicy {
  /** Walk the route's cascade to the next target on unavailable, timed-out or exhausted-throttle. Default true. */
  readonly nextTarget: boolean
  /** On context overflow, how many times the history may be halved for one request. 0 disables. Default 3. */
  readonly maxTruncations: number
  /** After a timeout, `maxTokens` for later attempts is multiplied by this (0..1). Default 0.5. */
  readonly timeoutMaxTokensFactor: number
  /** `maxTokens` used after a timeout when the request set none. Default 512. */
  readonly timeoutMaxTokens: number
  /**
   * After a timeout, later attempts also get half the history (newest turns kept; within `maxTruncations`): a
   * shorter prompt is read sooner. Default true.
   */
  readonly timeoutShedsHistory: boolean
  /** Extra attempts on the same target after output that did not validate. Default 1. */
  readonly malformedRetries: number
  /**
   * Serve the last good reply to the same request when every target failed (`served.degraded: 'cached'`), from an
   * in-container LRU. `false` (the default) disables it.
   */
  readonly cache: ReplyCacheOptions | false
  /**
   * Hedged requests: when the first target has not answered by its p95 latency × `p95Factor`, the same request
   * starts on the next target in another region and the first good answer wins (Converse only). `false` (the
   * default) disables it; `true` is `{ p95Factor: 1.5, minDelayMs: 200, maxExtraShare: 0.05 }`.
   */
  readonly hedge: HedgePolicy | false
  /**
   * Condense the turns a shortening drops (context fitted before the call, after an overflow or a timeout) into one
   * system note, written by a cheap model through the same engine: `{ targets, maxTokens?, timeoutMs? }`. When the
   * summary fails, the history is shortened without one. `false` (the default) disables it.
   */
  readonly summarize: SummarizePolicy | false
}

/** Fallback options as given: every field optional; `cache: true` / `hedge: true` mean their defaults. */
export type FallbackPolicyOptions = Partial<Omit<FallbackPolicy, 'cache' | 'hedge' | 'summarize'>> & {
  readonly cache?: boolean | Partial<ReplyCacheOptions>
  readonly hedge?: boolean | Partial<HedgePolicy>
  readonly summarize?: false | SummarizeOptions
}

/** Each truncation halves the history: 20 halvings leave one message of a million. */
const MAX_TRUNCATIONS = 20
/** Re-asks on one target: each is a paid call, and a model that failed the format five times will not learn it. */
const MAX_MALFORMED_RETRIES = 5
/** No model's output window is near this; a larger value is a unit mistake. */
const MAX_TOKENS = 1_000_000

export const DEFAULT_FALLBACK_POLICY: FallbackPolicy = Object.freeze({
  nextTarget: true,
  maxTruncations: 3,
  timeoutMaxTokensFactor: 0.5,
  timeoutMaxTokens: 512,
  timeoutShedsHistory: true,
  malformedRetries: 1,
  cache: false,
  hedge: false,
  summarize: false,
})

/** The reply cache (`cache: { maxEntries?, ttlMs? }`), as data (defaults: DEFAULT_REPLY_CACHE). */
const CACHE_OPTIONS = object({
  maxEntries: number({ integer: true, min: 1 }),
  ttlMs: number({ above: 0, unit: 'ms' }),
}, { label: 'a cache' })

/** The fallback policy's fields, as data (defaults: DEFAULT_FALLBACK_POLICY). fallback()'s options are these. */
export const FALLBACK_POLICY_FIELDS = {
  nextTarget: boolean(),
  maxTruncations: number({ integer: true, min: 0, max: MAX_TRUNCATIONS }),
  timeoutMaxTokensFactor: number({ above: 0, max: 1 }),
  // 0 would send maxTokens: 0, which Bedrock rejects as invalid (a 400 for a timeout).
  timeoutMaxTokens: number({ integer: true, min: 1, max: MAX_TOKENS }),
  timeoutShedsHistory: boolean(),
  malformedRetries: number({ integer: true, min: 0, max: MAX_MALFORMED_RETRIES }),
  cache: oneOf([boolean(), CACHE_OPTIONS], { must: 'must be a boolean or { maxEntries?, ttlMs? }' }),
  hedge: HEDGE_OPTIONS,
  summarize: SUMMARIZE_OPTIONS,
} as const

const FALLBACK_POLICY = object(FALLBACK_POLICY_FIELDS, { label: 'a fallback' })

/** Merges and checks fallback options; errors name `fallback.<field>`. A key given as undefined keeps its default. */
export function resolveFallbackPolicy(partial: FallbackPolicyOptions | undefined, source: string): FallbackPolicy {
  const { cache, hedge, summarize, ...given } = parseOptions(FALLBACK_POLICY, partial, source, 'fallback')
  return Object.freeze({
    ...DEFAULT_FALLBACK_POLICY, ...given,
    cache: resolveCache(cache), hedge: resolveHedge(hedge) ?? false, summarize: resolveSummarize(summarize) ?? false,
  })
}

function resolveCache(cache: FallbackPolicyOptions['cache']): ReplyCacheOptions | false {
  if (cache === undefined || cache === false) return false
  return cache === true ? DEFAULT_REPLY_CACHE : Object.freeze({ ...DEFAULT_REPLY_CACHE, ...cache })
}

/** Halves the history (newest turns kept; `system` is a separate field and always kept). Undefined if it cannot. */
export function truncateHistory<I extends ConverseLike>(input: I): I | undefined {
  const messages = input.messages ?? []
  if (messages.length <= 1) return undefined
  const kept = keepNewestMessages(messages, Math.floor(messages.length / 2))
  if (kept.length === 0 || kept.length >= messages.length) return undefined
  return { ...input, messages: kept }
}

/** Asks for fewer output tokens after a timeout, so the next attempt finishes sooner. */
export function reduceMaxTokens<I extends ConverseLike>(input: I, policy: FallbackPolicy): I {
  const current = input.inferenceConfig?.maxTokens
  const next = current === undefined ? policy.timeoutMaxTokens : Math.max(1, Math.floor(current * policy.timeoutMaxTokensFactor))
  return capMaxTokens(input, next)
}

/** The system blocks reaskWithFormat added, so a later re-ask replaces its own instruction instead of piling up. */
const reaskBlocks = new WeakSet<object>()

/**
 * Re-asks after output that failed to validate: the reason (and `format`, a statement of the expected output, when
 * known) goes into the system prompt (Converse wants turns to alternate, so a system block is the one place to add
 * an instruction without rewriting the conversation). An earlier re-ask's block is replaced, not repeated.
 */
export function reaskWithFormat<I extends ConverseLike & { readonly system?: readonly object[] }>(
  input: I,
  reason: string,
  format?: string,
): I {
  const expected = format ? ` ${format}` : ''
  const instruction = {
    text: `Your previous reply was rejected: ${reason}. Reply again, following the required output format exactly.${expected}`,
  }
  reaskBlocks.add(instruction)
  return { ...input, system: [...(input.system ?? []).filter((block) => !reaskBlocks.has(block)), instruction] }
}
