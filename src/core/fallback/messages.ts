/**
 * Structural views of a Converse request, so the core can shorten one without importing the SDK's types.
 * The SDK's ConverseCommandInput is assignable to these.
 */

export interface MessageLike {
  readonly role?: string
  readonly content?: readonly object[]
}

export interface ConverseLike {
  readonly messages?: readonly MessageLike[]
  readonly inferenceConfig?: { readonly maxTokens?: number }
}

const isToolResult = (m: MessageLike): boolean => (m.content ?? []).some((block) => 'toolResult' in block)

/**
 * Keeps the newest `count` messages, then drops forward until the list starts with a user message that is not a
 * tool result: Bedrock rejects a conversation that opens with the assistant or with an orphaned tool result.
 * Returns an empty list when no such start exists.
 */
export function keepNewestMessages<M extends MessageLike>(messages: readonly M[], count: number): M[] {
  let start = Math.max(0, messages.length - count)
  while (start < messages.length) {
    const m = messages[start] as M
    if (m.role === 'user' && !isToolResult(m)) break
    start++
  }
  return messages.slice(start)
}

/** Caps `inferenceConfig.maxTokens` at `cap` (setting it when absent). Returns the same object when nothing changes. */
export function capMaxTokens<I extends ConverseLike>(input: I, cap: number): I {
  const current = input.inferenceConfig?.maxTokens
  if (current !== undefined && current <= cap) return input
  return { ...input, inferenceConfig: { ...input.inferenceConfig, maxTokens: cap } }
}
