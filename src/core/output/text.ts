/** The text of a Converse reply, read structurally (core does not import the SDK's types). */
export interface ConverseOutputLike {
  readonly output?: {
    readonly message?: { readonly content?: readonly { readonly text?: string | undefined }[] | undefined } | undefined
  } | undefined
  readonly usage?: { readonly outputTokens?: number | undefined } | undefined
  readonly stopReason?: string | undefined
}

/** The reply's text: every text block of the output message, in order, joined without separators. */
export function extractText(output: ConverseOutputLike): string {
  const content = output.output?.message?.content ?? []
  let text = ''
  for (const block of content) if (typeof block.text === 'string') text += block.text
  return text
}
