/** Why a stream that had started could not be delivered whole. */
import { BreakwaterError } from '../errors.js'

/**
 * How a started stream broke off: ended without `messageStop`, went silent, or failed mid-way; or its `messageStop`
 * said the message is no answer: the model stopped at the end of its context window (`context-overflow`), or with
 * `malformed_model_output` / `malformed_tool_use` (`malformed-output`).
 */
export type InterruptionKind = 'cut' | 'stall' | 'error' | 'context-overflow' | 'malformed-output'

/**
 * A stream that started (its first token arrived) but did not end with `messageStop`. Never a complete answer:
 * `partialText` is what the caller has seen. Thrown to the caller with `interrupted: 'fail'`, and when no target
 * could finish the answer; `served` says where the broken stream came from.
 */
export class StreamInterruptedError extends BreakwaterError {
  override readonly name = 'StreamInterruptedError'

  constructor(
    readonly kind: InterruptionKind,
    readonly partialText: string,
    readonly served: { readonly route: string; readonly model: string; readonly region: string },
    options: { readonly cause?: unknown } = {},
  ) {
    super(`the stream from ${served.model} in ${served.region} was interrupted (${kind}) after its first token`, {
      source: 'breakwater/invoker',
      cause: options.cause,
    })
  }
}
