/**
 * Usage a reply reports after its attempt ended: a stream's attempt ends at its first token, and its usage comes in
 * its last event (`metadata`). Its quota ticket was settled at the first token as kept in full (Bedrock charges
 * `maxTokens` until the end too); what the stream did not use goes back once it says, through the refund registered
 * here for its started stream. A stream never read to its end reports nothing, and its charge stays: the safe side.
 */

/** Per started stream, the refund of its ticket's unused tokens. Weak: a stream dropped unread takes its entry along. */
const PENDING = new WeakMap<object, (tokensUsed: number) => void>()

/** Registers `refund` for the usage `output` will report (see reportUsage). */
export function awaitUsage(output: object, refund: (tokensUsed: number) => void): void {
  PENDING.set(output, refund)
}

/** `output` (a started stream) ended whole and used `tokensUsed` (input + output); undefined = it did not say. Once. */
export function reportUsage(output: object, tokensUsed: number | undefined): void {
  const refund = PENDING.get(output)
  if (refund === undefined) return
  PENDING.delete(output)
  if (tokensUsed !== undefined) refund(tokensUsed)
}
