/** The fallback's rewrites of a Converse request, as the engine's InputAdapter. */
import type { ConverseLike } from '../fallback/messages.js'
import { reaskWithFormat, reduceMaxTokens, truncateHistory, type FallbackPolicy } from '../fallback/policy.js'
import type { InputAdapter } from './types.js'

type ConverseShaped = ConverseLike & { readonly system?: readonly object[] }

/** Shorter history on overflow, fewer tokens after a timeout (when fallback() is in force), a re-ask on bad output. */
export function converseAdapter<I extends ConverseShaped>(fallback: FallbackPolicy | undefined): InputAdapter<I> {
  return {
    truncate: truncateHistory,
    ...(fallback && { reduceTokens: (input: I) => reduceMaxTokens(input, fallback) }),
    reask: (input, error) => reaskWithFormat(input, error.message),
  }
}
