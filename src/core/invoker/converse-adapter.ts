/** The fallback's rewrites of a Converse request, as the engine's InputAdapter. */
import { capMaxTokens, type ConverseLike } from '../fallback/messages.js'
import { reaskWithFormat, reduceMaxTokens, truncateHistory, type FallbackPolicy } from '../fallback/policy.js'
import type { InputAdapter } from './types.js'

type ConverseShaped = ConverseLike & { readonly system?: readonly object[] }

/**
 * Shorter history on overflow, fewer tokens after a timeout (when fallback() is in force), a re-ask on bad output
 * that states the expected `format` when the caller gave one (structured output's schema).
 */
export function converseAdapter<I extends ConverseShaped>(fallback: FallbackPolicy | undefined, format?: string): InputAdapter<I> {
  const adapter: InputAdapter<I> = {
    truncate: truncateHistory,
    reask: (input, error) => reaskWithFormat(input, error.message, format),
    // Deadline-planned degrade reads and caps `inferenceConfig.maxTokens` (only with fallback() in force).
    maxTokens: (input) => input.inferenceConfig?.maxTokens,
    capTokens: capMaxTokens,
  }
  if (fallback) adapter.reduceTokens = (input: I) => reduceMaxTokens(input, fallback)
  return adapter
}

/** The output tokens a Converse reply reports, for `CascadeRequest.measure` (the latency tracker's tokens/s). */
export const converseUsage = (
  output: { readonly usage?: { readonly outputTokens?: number | undefined } | undefined },
): { outputTokens?: number | undefined } => ({ outputTokens: output.usage?.outputTokens })
