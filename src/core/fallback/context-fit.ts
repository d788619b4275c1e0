/**
 * Context fitted before the call: a request whose estimated size (input plus the output it asks for) exceeds the
 * target's context window has its history halved — as after Bedrock's "Input is too long" 400, and within the same
 * `maxTruncations` — until it fits, before it is sent. A request that cannot get short enough skips the target.
 * The estimate (characters / 4, see routing/predicates.ts) is only compared with the window, never shrunk by a
 * margin: a request it wrongly lets through still gets the 400 and the shortening after it.
 */
import { estimateInputTokens, type RoutableInput } from '../routing/predicates.js'
import type { Target } from '../target.js'
import { knownContextWindow } from './context-windows.js'

interface Shaped {
  readonly messages?: unknown
  readonly system?: unknown
  readonly inferenceConfig?: { readonly maxTokens?: unknown }
}

/**
 * The tokens `input` needs of `target`'s window: its estimated input plus the `maxTokens` it asks for (capped by the
 * target's own); undefined for a request that is not Converse-shaped (an InvokeModel body is the caller's to size).
 */
export function contextNeed(input: unknown, target: Target): number | undefined {
  const shaped = (typeof input === 'object' && input !== null ? input : {}) as Shaped
  if (!Array.isArray(shaped.messages)) return undefined
  const asked = shaped.inferenceConfig?.maxTokens
  const output = typeof asked === 'number' && Number.isFinite(asked) && asked > 0 ? Math.min(asked, target.maxTokens ?? Infinity) : 0
  return estimateInputTokens(shaped as RoutableInput) + output
}

/** The window a target's requests must fit: its own `contextWindow`, else its family's; undefined when not known. */
export const contextWindowOf = (target: Target): number | undefined => target.contextWindow ?? knownContextWindow(target.model)

/**
 * `input` as it fits `target`: unchanged (truncations 0) when it fits or its size or window is not known, shortened
 * by up to `maxTruncations` halvings, or `'cannot-fit'`. A shortened request must leave `reserveTokens` free (the
 * summary note that will be added to it); one that fits as it is needs no room for a note.
 */
export function fitContext<I>(
  input: I, target: Target, truncate: (input: I) => I | undefined, maxTruncations: number, reserveTokens = 0,
): { readonly input: I; readonly truncations: number } | 'cannot-fit' {
  const window = contextWindowOf(target)
  let fitted = input
  for (let truncations = 0; ; truncations++) {
    const need = window === undefined ? undefined : contextNeed(fitted, target)
    if (need === undefined || need <= (window as number) - (truncations === 0 ? 0 : reserveTokens)) return { input: fitted, truncations }
    const shorter = truncations < maxTruncations ? truncate(fitted) : undefined
    if (shorter === undefined) return 'cannot-fit'
    fitted = shorter
  }
}
