/**
 * InvokeModel's stop reasons, where the raw body says them: a guardrail's `amazon-bedrock-guardrailAction:
 * INTERVENED` is served flagged, once; `stop_reason: malformed_tool_use` moves on; a context window exceeded cannot
 * be shortened in a body Breakwater does not write, and every target is the same model: 413, one call. Other
 * families say it in their own words: Titan's `completionReason`, Cohere's `finish_reason`.
 */
import middy from '@middy/core'
import { describe, expect, it } from '@jest/globals'
import { breakwater, type BreakwaterContext, type Served } from '../../src/index.js'
import { fakeClientConfig } from '../../tools/fake-bedrock/bedrock-client.js'
import { BLOCKED_MESSAGE, type FakeBedrock } from '../../tools/fake-bedrock/fake-bedrock.js'
import { directEvent, lambdaContext } from '../support/events.js'
import { useFakeBedrockServer } from '../support/fake-bedrock-server.js'
import { at, EAST, regionsOf, WEST } from '../support/scenario.js'

let server!: FakeBedrock
useFakeBedrockServer((s) => { server = s })

const body = JSON.stringify({
  anthropic_version: 'bedrock-2023-05-31', max_tokens: 256, messages: [{ role: 'user', content: [{ type: 'text', text: 'hello' }] }],
})

const handler = (model: string | undefined, raw: string) => middy(async (_event: unknown, context: BreakwaterContext): Promise<unknown> => {
  try {
    const reply = await context.bedrock.invokeModel({ body: raw, contentType: 'application/json', accept: 'application/json' })
    return { served: reply.served, body: JSON.parse(new TextDecoder().decode(reply.body)) as unknown }
  } catch (error) {
    return error
  }
}).use(breakwater({
  routes: { default: { targets: [at(EAST, model), at(WEST, model)], invokeModel: true } },
  client: { clientConfig: fakeClientConfig(server) },
  degradation: false,
}))
/** What the handler got: `{ served, body }` (the body parsed), or the error thrown. */
const invoke = (model?: string, raw = body) => handler(model, raw)(directEvent(), lambdaContext() as BreakwaterContext)

const TITAN = 'amazon.titan-text-express-v1'
const titanBody = JSON.stringify({ inputText: 'User: hello\nBot:', textGenerationConfig: { maxTokenCount: 256 } })
const invokeTitan = () => invoke(TITAN, titanBody)

describe('invokeModel stop reasons', () => {
  it('a guardrail intervention is served flagged, from the first target, once', async () => {
    server.plan([{ kind: 'stop-reason', stopReason: 'guardrail_intervened' }])
    expect(await invoke()).toMatchObject({ served: { region: EAST, attempts: 1, intervened: 'guardrail' } })
    expect(regionsOf(server.calls)).toEqual([EAST])
  })

  it('stop_reason malformed_tool_use moves on to the next target', async () => {
    server.plan([{ kind: 'stop-reason', stopReason: 'malformed_tool_use', region: EAST }])
    expect(await invoke()).toMatchObject({ served: { region: WEST, degraded: 'fallback-target' } })
    expect(regionsOf(server.calls)).toEqual([EAST, WEST])
  })

  it('stop_reason model_context_window_exceeded: 413, the same model elsewhere not tried', async () => {
    server.plan([{ kind: 'stop-reason', stopReason: 'model_context_window_exceeded' }])
    expect(await invoke()).toMatchObject({ name: 'ContextOverflowError', statusCode: 413 })
    expect(regionsOf(server.calls)).toEqual([EAST])
  })
})

describe('invokeModel stop reasons in the family\'s words', () => {
  it('Titan CONTENT_FILTERED is served flagged content-filter, from the first target, once', async () => {
    server.plan([{ kind: 'stop-reason', stopReason: 'content_filtered' }])
    expect(await invokeTitan()).toMatchObject({
      served: { model: TITAN, region: EAST, attempts: 1, degraded: false, intervened: 'content-filter' },
      body: { results: [{ outputText: BLOCKED_MESSAGE, completionReason: 'CONTENT_FILTERED' }] },
    })
    expect(regionsOf(server.calls)).toEqual([EAST])
  })

  it.each(['max_tokens', 'RAG_QUERY_WHEN_RAG_DISABLED'])('Titan %s is an answer, served unflagged', async (stopReason) => {
    server.plan([{ kind: 'stop-reason', stopReason }])
    const { served, body: reply } = await invokeTitan() as { served: Served; body: unknown }
    expect(served).toMatchObject({ region: EAST, attempts: 1, degraded: false })
    expect(served.intervened).toBeUndefined()
    expect(reply).toMatchObject({ results: [{ completionReason: stopReason === 'max_tokens' ? 'LENGTH' : stopReason }] })
  })

  it('a plain Titan reply (FINISH) is served as it is', async () => {
    const { served, body: reply } = await invokeTitan() as { served: Served; body: unknown }
    expect(served).toMatchObject({ model: TITAN, region: EAST, degraded: false })
    expect(served.intervened).toBeUndefined()
    expect(reply).toMatchObject({ results: [{ outputText: expect.stringContaining('hello'), completionReason: 'FINISH' }] })
  })

  it('Cohere ERROR_LIMIT is context overflow: 413, one call', async () => {
    server.plan([{ kind: 'stop-reason', stopReason: 'model_context_window_exceeded' }])
    const reply = await invoke('cohere.command-r-v1:0', JSON.stringify({ message: 'hello' }))
    expect(reply).toMatchObject({ name: 'ContextOverflowError', statusCode: 413 })
    expect(regionsOf(server.calls)).toEqual([EAST])
  })
})
