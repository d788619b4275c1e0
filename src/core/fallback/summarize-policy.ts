/**
 * The history summarizer's policy (`fallback({ summarize })`), as data; what it does: fallback/summary.ts (the
 * prompt and the note) and invoker/summarizer.ts (the call, through the engine).
 */
import { list, literal, number, object, oneOf, required, type Refine } from '../config/index.js'
import { TARGET, type Target } from '../targets.js'
import { contextWindowOf } from './context-fit.js'

export interface SummarizePolicy {
  /**
   * The cheap model(s) that condense the dropped turns, tried in order: a cascade of their own, under the same
   * breaker, backoff and deadline as the request. E.g. `['amazon.nova-micro-v1:0@us-east-1']`.
   */
  readonly targets: readonly Target[]
  /** The summary's `maxTokens` (it becomes part of the shortened prompt). Default 400. */
  readonly maxTokens: number
  /**
   * The longest the summary may take, ms; never beyond the request's deadline. When it fails or runs out of time,
   * the history is shortened without a summary, as without this option. Default 3000.
   */
  readonly timeoutMs: number
}

/** `summarize: { targets, maxTokens?, timeoutMs? }` as given (`targets` may be `'model@region'` strings). */
export type SummarizeOptions = Partial<Omit<SummarizePolicy, 'targets'>> & {
  readonly targets: SummarizePolicy['targets'] | readonly string[]
}

export const DEFAULT_SUMMARIZE = Object.freeze({ maxTokens: 400, timeoutMs: 3000 })

/** A summary longer than this is no longer a condensed note: most cheap models cannot write one anyway. */
const MAX_SUMMARY_TOKENS = 8192

/** Room for the summarizer's instruction, in tokens. */
export const SUMMARY_PROMPT_TOKENS = 512
/** The shortest transcript worth condensing, in characters (about 500 tokens). */
export const MIN_TRANSCRIPT_CHARS = 2_000

/** Every summarizer whose window is known must hold the instruction, a minimal transcript and the summary asked for. */
const roomForSummary: Refine<{ readonly targets: readonly Target[]; readonly maxTokens?: number }> = (s) => {
  const need = (s.maxTokens ?? DEFAULT_SUMMARIZE.maxTokens) + SUMMARY_PROMPT_TOKENS + MIN_TRANSCRIPT_CHARS / 4
  const small = s.targets.find((t) => (contextWindowOf(t) ?? Infinity) < need)
  if (small === undefined) return undefined
  const at = s.maxTokens === undefined ? `targets[${s.targets.indexOf(small)}]` : 'maxTokens'
  const window = contextWindowOf(small)
  return { at, problem: `leaves no room for a transcript in the context window of ${small.model} (${window} tokens, needs ${need})` }
}

/** A target listed twice is a copy-paste slip: its second visit would only repeat the first one's failure. */
const distinct: Refine<{ readonly targets: readonly Target[] }> = (s) => {
  const keys = s.targets.map((t) => `${t.model}@${t.region}`)
  const twice = keys.find((k, i) => keys.indexOf(k) !== i)
  return twice === undefined ? undefined : { at: 'targets', problem: `lists ${twice} twice` }
}

/** `summarize`: `false` (the default) or `{ targets, maxTokens?, timeoutMs? }`. */
export const SUMMARIZE_OPTIONS = oneOf([literal(false), object({
  targets: required(
    list(TARGET, { minLength: 1, must: 'must be a non-empty list of targets' }), 'is required (the model that writes the summary)',
  ),
  maxTokens: number({ integer: true, min: 16, max: MAX_SUMMARY_TOKENS }),
  timeoutMs: number({ min: 100, max: 60_000, unit: 'ms' }),
}, { label: 'a summarize', refine: [distinct as Refine<never>, roomForSummary as Refine<never>] })], {
  must: 'must be false or { targets, maxTokens?, timeoutMs? }',
})

/** The policy, or undefined when off. (`true` is refused by the schema: there is no default summarizer model.) */
export function resolveSummarize(summarize: false | SummarizeOptions | undefined): SummarizePolicy | undefined {
  if (summarize === undefined || summarize === false) return undefined
  const targets = Object.freeze(summarize.targets.map((t) => Object.freeze(t as Target)))
  return Object.freeze({ ...DEFAULT_SUMMARIZE, ...summarize, targets })
}
