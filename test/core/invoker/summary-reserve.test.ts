/** A fit before the call keeps room for the summary note when it can, and never refuses a request for want of it. */
import { describe, expect, it } from '@jest/globals'
import { resolveFallbackPolicy } from '../../../src/core/fallback/policy.js'
import { runCascade } from '../../../src/core/invoker/cascade.js'
import type { Summarize } from '../../../src/core/invoker/types.js'
import { scripted, setup, type Input } from './harness.js'

const T = { model: 'my-model', region: 'us-east-1', contextWindow: 1_000 }
const text = (tokens: number) => 'x'.repeat(tokens * 4)
const input: Input = {
  messages: [
    { role: 'user', content: [{ text: text(1200) }] },
    { role: 'assistant', content: [{ text: 'ok' }] },
    { role: 'user', content: [{ text: text(700) }] },
  ],
}

describe('the summary note\'s room in a fit before the call', () => {
  it.each([false, true])('summarize=%s: a request whose plain shortening fits is served', async (on) => {
    const fallback = resolveFallbackPolicy(on ? { summarize: { targets: ['amazon.nova-micro-v1:0@us-east-1'] } } : {}, 'test')
    const { clock, request } = setup({ policies: { fallback } })
    const { call, sent } = scripted(clock, {})
    const summarize: Summarize<Input> = async () => undefined // the summary fails: "as without the option"
    const req = request(call, { targets: [T], input, summarize: on ? summarize : undefined })
    const result = await clock.run(runCascade(req))
    expect(result.output).toBe('ok from us-east-1')
    expect(sent).toHaveLength(1)
  })
})
