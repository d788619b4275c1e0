/**
 * The cascade's shortening steps (fallback()): halve the history on a context overflow, fit it to the target's
 * context window before a call, and shed output tokens and history after a timeout; and, with a summarizer, condense
 * what they dropped into a note before the next call. They read and change the run's request (`input`), its
 * degradations and the models it overflowed, through the part of CascadeRun they share.
 */
import { ContextOverflowError } from '../errors.js'
import { fitContext } from '../fallback/context-fit.js'
import type { FallbackPolicy } from '../fallback/policy.js'
import type { Target } from '../targets.js'
import type { Ledger } from './ledger.js'
import type { CascadeRequest } from './types.js'

/** Room kept for the summary note beyond its text: the note's own words, in tokens. */
const NOTE_TOKENS = 40

/** What of a cascade run the shortening steps use. */
export interface Shortening<I> {
  input: I
  /** The request before the shortenings not yet summarized (`fallback({ summarize })`); undefined = none pending. */
  unsummarized: I | undefined
  /** Models the prompt does not fit, even shortened: their other regions are skipped. */
  overflowed: Set<string> | undefined
  readonly req: Pick<CascadeRequest<I, unknown>, 'policies' | 'adapter' | 'summarize' | 'route' | 'deadline' | 'signal'>
  readonly ledger: Pick<Ledger, 'degrade' | 'record'>
  readonly walk: readonly Target[]
  readonly soonest: (number | undefined | null)[]
}

/** One halving of the history (after a context overflow or a timeout), within `maxTruncations`; false when it cannot. */
export function halveHistory<I>(run: Shortening<I>, visit: { truncations: number }): boolean {
  if (visit.truncations >= (run.req.policies.fallback?.maxTruncations ?? 0)) return false
  const shorter = run.req.adapter?.truncate?.(run.input)
  if (!shorter) return false
  run.unsummarized ??= run.input
  run.input = shorter
  visit.truncations++
  run.ledger.degrade('truncated-context')
  return true
}

/** The target's model cannot take the prompt: skipped in every region. True while another model is left. */
export function overflow<I>(run: Shortening<I>, target: Target, ti: number): boolean {
  const overflowed = (run.overflowed ??= new Set())
  overflowed.add(target.model)
  return run.walk.slice(ti + 1).some((t) => !overflowed.has(t.model))
}

/**
 * Fits the request to the target's context window before anything is sent (fallback/context-fit.ts): shortened,
 * it goes on shortened (as after a 400, so later targets get it too); false when it cannot fit: the model is
 * skipped in every region, and a request that fits no model left is a ContextOverflowError (413).
 */
export function fitsTarget<I>(run: Shortening<I>, target: Target, ti: number): boolean {
  const { policies, adapter } = run.req
  const truncate = adapter?.truncate
  if (!policies.fallback || truncate === undefined) return true
  const summarize = policies.fallback.summarize
  const reserve = summarize && run.req.summarize !== undefined ? summarize.maxTokens + NOTE_TOKENS : 0
  // The note's room is wanted, never required: a request whose plain shortening fits is sent without a note.
  let fit = fitContext(run.input, target, truncate, policies.fallback.maxTruncations, reserve)
  if (fit === 'cannot-fit' && reserve > 0) fit = fitContext(run.input, target, truncate, policies.fallback.maxTruncations)
  if (fit !== 'cannot-fit') {
    if (fit.truncations > 0) {
      run.unsummarized ??= run.input
      run.input = fit.input
      run.ledger.degrade('truncated-context')
    }
    return true
  }
  run.ledger.record(target, 1, 'skipped-context', 0, 0)
  run.soonest[ti] = null
  if (overflow(run, target, ti)) return false
  throw new ContextOverflowError('the prompt does not fit the context window of any model left, even shortened')
}

/** "Retry with shorter context": after a timeout, fewer output tokens and (timeoutShedsHistory) half the history. */
export function shedAfterTimeout<I>(run: Shortening<I>, fallback: FallbackPolicy, visit: { truncations: number }): void {
  const adapter = run.req.adapter
  if (adapter?.reduceTokens) {
    run.input = adapter.reduceTokens(run.input)
    run.ledger.degrade('reduced-max-tokens')
  }
  if (fallback.timeoutShedsHistory) halveHistory(run, visit)
}

/**
 * With a summarizer, condenses the turns the shortenings since the last call dropped into the request's system note
 * (`summarized-context`), before `target` is called. A note that would not fit the target's window is left out.
 */
export async function summarizeDropped<I>(run: Shortening<I>, target: Target): Promise<void> {
  const before = run.unsummarized
  run.unsummarized = undefined
  const { summarize, route, deadline, signal } = run.req
  if (before === undefined || summarize === undefined) return
  const summarized = await summarize(before, run.input, { route, deadline, signal })
  if (summarized === undefined || fitContext(summarized, target, () => undefined, 0) === 'cannot-fit') return
  run.input = summarized
  run.ledger.degrade('summarized-context')
}
