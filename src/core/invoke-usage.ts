/**
 * The tokens an InvokeModel body says it used (input + output), in its model family's words, for the declared
 * quota's refund (admission/quota-cost.ts): Converse has one `usage`, raw bodies have one shape per family. Pure:
 * the body arrives parsed. A family that does not say (or a body in a shape not known here) leaves the charge kept.
 */

const count = (n: unknown): number | undefined => (typeof n === 'number' && Number.isFinite(n) && n >= 0 ? n : undefined)

const both = (input: unknown, output: unknown): number | undefined => {
  const i = count(input)
  const o = count(output)
  return i === undefined || o === undefined ? undefined : i + o
}

type Body = Record<string, unknown>
const objectAt = (body: Body, key: string): Body | undefined => {
  const v = body[key]
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Body) : undefined
}

/**
 * Anthropic `usage.{input,output}_tokens`; Nova `usage.{input,output}Tokens`; Titan `inputTextTokenCount` and
 * `results[].tokenCount`; Llama `prompt_token_count` and `generation_token_count`; Cohere Command R
 * `meta.billed_units.{input,output}_tokens`; OpenAI-style chat `usage.{prompt,completion}_tokens`.
 */
export function invokeUsage(body: unknown): number | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined
  const b = body as Body
  const usage = objectAt(b, 'usage')
  if (usage !== undefined) {
    return both(usage.input_tokens, usage.output_tokens) ?? both(usage.inputTokens, usage.outputTokens)
      ?? both(usage.prompt_tokens, usage.completion_tokens)
  }
  if (Array.isArray(b.results)) {
    const outputs = b.results.map((r) => count((r as Body | null)?.tokenCount))
    return outputs.some((n) => n === undefined) ? undefined : both(b.inputTextTokenCount, (outputs as number[]).reduce((a, n) => a + n, 0))
  }
  if ('generation_token_count' in b) return both(b.prompt_token_count, b.generation_token_count)
  const billed = objectAt(objectAt(b, 'meta') ?? {}, 'billed_units')
  return billed === undefined ? undefined : both(billed.input_tokens, billed.output_tokens)
}
