/**
 * The history summarizer (`fallback({ summarize })`): after a shortening dropped turns, a cheap model condenses them
 * (and any earlier summary) into one system note of the shortened request. It runs as a cascade of its own through
 * the same engine: the summarizer's targets under the request's breaker, backoff and retry budget, within the time
 * the request has left. A summary that fails, is empty or was replaced by a guardrail leaves the plain shortening.
 */
import { Deadline } from '../backoff/deadline.js'
import type { Clock, Random } from '../clock.js'
import { MalformedOutputError } from '../errors.js'
import { contextWindowOf } from '../fallback/context-fit.js'
import { MIN_TRANSCRIPT_CHARS, SUMMARY_PROMPT_TOKENS, type SummarizePolicy } from '../fallback/summarize-policy.js'
import type { MessageLike } from '../fallback/messages.js'
import { droppedTurns, noteOf, summaryOf, summaryRequest, transcript, withSummary, type Summarizable } from '../fallback/summary.js'
import { runCascade } from './cascade.js'
import { converseStopReason } from '../stop-reason.js'
import type { CallFn, CascadeListener, CascadePolicies, CascadeRequest, Intervention, Summarize } from './types.js'

/** Below this, a summary call cannot finish: the shortening goes on without one. */
const MIN_SUMMARY_MS = 100
/** The summarizer's window when its model's is not known: the smallest of the common cheap models'. */
const UNKNOWN_WINDOW = 32_000
/** Characters per token, as the context estimate counts them (routing/predicates.ts). */
const CHARS_PER_TOKEN = 4

const validate = (output: unknown): void => {
  if (summaryOf(output) === undefined) throw new MalformedOutputError('the summary is empty', '', undefined, { reaskable: false })
}

/** The summary calls' route, in the attempt logs and traces. */
export const SUMMARY_ROUTE = 'summarize'

export interface SummarizerOptions {
  readonly policy: SummarizePolicy
  /** The engine's policies: the summary's attempts go through the same breaker, backoff and retry budget. */
  readonly policies: CascadePolicies
  /** Sends one Converse attempt (the engine's). */
  readonly call: CallFn<Summarizable, unknown>
  readonly clock: Clock
  readonly random: Random
  /** The shortest attempt worth starting (backoff's `minAttemptMs`): kept for the request's own call after the summary. */
  readonly minAttemptMs: number
  /** The engine's listener: hears the summary's attempts (not as a served request) and whether each summary was added. */
  readonly listener: CascadeListener
}

export function summarizer(options: SummarizerOptions): Summarize<Summarizable> {
  const { policy, policies, call, clock, random, minAttemptMs, listener } = options
  // The summary is no reply to anyone: its attempts are logged and traced, its "served" is not.
  const { served: _served, intervened: _intervened, summarized: told, ...quiet } = listener
  const stopReason = converseStopReason.plain as (output: unknown) => Intervention | undefined
  const run = (input: Summarizable, deadline: Deadline, signal: AbortSignal | undefined) => {
    const request: { -readonly [K in keyof CascadeRequest<Summarizable, unknown>]: CascadeRequest<Summarizable, unknown>[K] } = {
      route: SUMMARY_ROUTE, targets: policy.targets, input, call, policies, deadline, clock, random, validate, stopReason, listener: quiet,
      partOf: 'summary',
    }
    if (signal !== undefined) request.signal = signal
    return runCascade(request)
  }
  const window = Math.min(...policy.targets.map((t) => contextWindowOf(t) ?? UNKNOWN_WINDOW))
  const maxChars = Math.max(MIN_TRANSCRIPT_CHARS, (window - policy.maxTokens - SUMMARY_PROMPT_TOKENS) * CHARS_PER_TOKEN)
  /**
   * The summaries of a request's dropped turns, by the request before shortening and the turns dropped (the same
   * message objects): a hedge's second leg and a restarted stream shorten the same request the same way, and reuse
   * its summary. Weak: it lives as long as the caller's request object.
   */
  type Written = Map<number, { turns: readonly MessageLike[]; summary: Promise<string | undefined> }>
  const written = new WeakMap<object, Written>()
  const write = async (dropped: readonly MessageLike[], before: Summarizable, deadline: Deadline, signal?: AbortSignal) => {
    const budgetMs = Math.min(policy.timeoutMs, deadline.remainingMs() - minAttemptMs)
    if (budgetMs < MIN_SUMMARY_MS) return undefined
    const request = summaryRequest(transcript(dropped, noteOf(before), maxChars), policy.maxTokens)
    const result = await run(request, new Deadline(clock, budgetMs, 0), signal)
    return result.served.intervened === undefined ? summaryOf(result.output) : undefined
  }
  return async (before, after, { route, deadline, signal }) => {
    const dropped = droppedTurns(before, after)
    if (dropped.length === 0) return undefined
    const mine: Written = written.get(before) ?? new Map()
    written.set(before, mine)
    const kept = mine.get(dropped.length)
    // The same turns, not merely as many: a caller may reuse its request object with other messages.
    const fresh = kept === undefined || kept.turns.some((m, i) => m !== dropped[i])
    let writing = kept?.summary
    if (fresh || writing === undefined) {
      writing = write(dropped, before, deadline, signal)
      mine.set(dropped.length, { turns: dropped, summary: writing })
      // A summary that failed is not kept: a later shortening of the same request may have the time it lacked.
      writing.then((s) => { if (s === undefined) mine.delete(dropped.length) }, () => mine.delete(dropped.length))
    }
    let summary: string | undefined
    try {
      summary = await writing
    } catch (error) {
      // The caller gave up: nothing is to be sent. Any other failure leaves the plain shortening.
      if (signal?.aborted) throw error
    }
    if (fresh) told?.(summary !== undefined, route)
    return summary === undefined ? undefined : withSummary(after, summary)
  }
}
