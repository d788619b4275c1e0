/**
 * What the fallback does with each failure class beyond walking the cascade: shorten the history on context
 * overflow, ask for fewer tokens after a timeout, re-ask after malformed output.
 */
import { BreakwaterConfigError } from '../errors.js'
import { capMaxTokens, keepNewestMessages, type ConverseLike } from './messages.js'

export interface FallbackPolicy {
  /** Walk the route's cascade to the next target on unavailable, timed-out or exhausted-throttle. Default true. */
  readonly nextTarget: boolean
  /** On context overflow, how many times the history may be halved for one request. 0 disables. Default 3. */
  readonly maxTruncations: number
  /** After a timeout, `maxTokens` for later attempts is multiplied by this (0..1). Default 0.5. */
  readonly timeoutMaxTokensFactor: number
  /** `maxTokens` used after a timeout when the request set none. Default 512. */
  readonly timeoutMaxTokens: number
  /** Extra attempts on the same target after output that did not validate. Default 1. */
  readonly malformedRetries: number
}

export const DEFAULT_FALLBACK_POLICY: FallbackPolicy = Object.freeze({
  nextTarget: true,
  maxTruncations: 3,
  timeoutMaxTokensFactor: 0.5,
  timeoutMaxTokens: 512,
  malformedRetries: 1,
})

/** Merges and checks fallback options; `field` prefixes name the offending option. */
export function resolveFallbackPolicy(partial: Partial<FallbackPolicy> | undefined, source: string): FallbackPolicy {
  const merged = { ...DEFAULT_FALLBACK_POLICY, ...partial }
  for (const key of Object.keys(partial ?? {})) {
    if (!(key in DEFAULT_FALLBACK_POLICY)) throw new BreakwaterConfigError(source, `fallback.${key}`, 'is not a fallback option')
  }
  if (typeof merged.nextTarget !== 'boolean') throw new BreakwaterConfigError(source, 'fallback.nextTarget', 'must be a boolean')
  for (const key of ['maxTruncations', 'malformedRetries', 'timeoutMaxTokens'] as const) {
    const v = merged[key]
    if (!Number.isInteger(v) || v < 0) throw new BreakwaterConfigError(source, `fallback.${key}`, 'must be an integer >= 0')
  }
  const f = merged.timeoutMaxTokensFactor
  if (typeof f !== 'number' || !(f > 0 && f <= 1)) throw new BreakwaterConfigError(source, 'fallback.timeoutMaxTokensFactor', 'must be a number in (0, 1]')
  return Object.freeze(merged)
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

/**
 * Re-asks after output that failed to validate: the reason goes into the system prompt (Converse wants turns to
 * alternate, so a system block is the one place to add an instruction without rewriting the conversation).
 */
export function reaskWithFormat<I extends ConverseLike & { readonly system?: readonly object[] }>(input: I, reason: string): I {
  const instruction = { text: `Your previous reply was rejected: ${reason}. Reply again, following the required output format exactly.` }
  return { ...input, system: [...(input.system ?? []), instruction] }
}
