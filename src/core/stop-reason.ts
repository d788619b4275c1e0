/**
 * Stop reasons are outcomes: a reply's `stopReason` can say that it is no answer (a guardrail or the content filter
 * replaced it), or that it is a failure the cascade knows (the context window filled, the model's output was
 * malformed, a structured reply was cut at `maxTokens`). Read structurally: core does not import the SDK, whose
 * `StopReason` values these are (test/core/stop-reason.test.ts holds them to it).
 */
import { CallerFaultError, ContextWindowExceededError, MalformedOutputError } from './errors.js'
import type { Intervention, Served } from './invoker/types.js'

const INTERVENTIONS: Readonly<Record<string, Intervention>> = {
  guardrail_intervened: 'guardrail',
  content_filtered: 'content-filter',
}

/** The intervention a stop reason says replaced the answer, or undefined for any other stop reason. */
export function interventionOf(stopReason: string | undefined): Intervention | undefined {
  // Own keys only: a stop reason of `toString` or `constructor` must not read Object.prototype.
  return stopReason !== undefined && Object.hasOwn(INTERVENTIONS, stopReason) ? INTERVENTIONS[stopReason] : undefined
}

/**
 * The failure a stop reason stands for, or undefined when it says nothing against the reply. `structured`: the reply
 * must be JSON valid against a schema, which a reply cut at `maxTokens` cannot be. Malformed output here is not
 * re-asked with format instructions: the format was not what failed (a cut reply would be cut again at the same
 * `maxTokens`, which Breakwater never raises: it is the caller's cost ceiling), so the next target is asked.
 */
export function stopFailure(stopReason: string | undefined, structured: boolean): Error | undefined {
  switch (stopReason) {
    case 'model_context_window_exceeded':
      return new ContextWindowExceededError()
    case 'malformed_model_output':
    case 'malformed_tool_use':
      return new MalformedOutputError(`the model stopped with ${stopReason}`, '', undefined, { reaskable: false, stopReason })
    case 'max_tokens':
      if (!structured) return undefined
      return new MalformedOutputError('the structured reply was cut at maxTokens', '', undefined, { reaskable: false, stopReason })
    default:
      return undefined
  }
}

type Stopped = { readonly stopReason?: string | undefined }

function converseStop(structured: boolean): (output: Stopped) => Intervention | undefined {
  return (output) => {
    const failure = stopFailure(output.stopReason, structured)
    if (failure !== undefined) throw failure
    return interventionOf(output.stopReason)
  }
}

/** The cascade's `stopReason` check of a Converse reply; `structured` with a `responseSchema`. Made once each. */
export const converseStopReason = {
  plain: converseStop(false),
  structured: converseStop(true),
} as const

/** Replies whose body (read by the call that got it) said an intervention replaced the answer: InvokeModel's. */
const MARKED = new WeakMap<object, Intervention>()

/** Marks a reply whose body said a guardrail or the content filter replaced the answer (the call adapter knows its body). */
export function markIntervention(output: object, intervention: Intervention): void {
  MARKED.set(output, intervention)
}

/** The cascade's `stopReason` check of a reply its call adapter read (and marked): the intervention, if any. */
export const markedIntervention = (output: object): Intervention | undefined => MARKED.get(output)

/**
 * A guardrail or the content filter replaced the answer of a call whose reply must validate (`responseSchema` or
 * `validate`): an intervention's message is no answer to check. Neither retried nor cached, not a breaker failure;
 * replied to with 422. `served` says where and how; the intervention's text (which may quote the prompt) is not kept.
 */
export class InterventionError extends CallerFaultError {
  readonly served: Served
  constructor(served: Served) {
    super('The request was blocked by a content policy.', { source: 'breakwater/invoker', statusCode: 422 })
    this.name = 'InterventionError'
    this.served = served
  }
}
