/**
 * InvokeModel's stop reasons, where the raw body says them: a guardrail's `amazon-bedrock-guardrailAction:
 * INTERVENED` is served flagged, once; `stop_reason: malformed_tool_use` moves on; a context window exceeded cannot
 * be shortened in a body Breakwater does not write, and every target is the same model: 413, one call.
 */
import middy from '@middy/core'
import { describe, expect, it } from '@jest/globals'
import { breakwater, type BreakwaterContext, type Served } from '../../src/index.js'
import { fakeClientConfig } from '../../tools/fake-bedrock/bedrock-client.js'
import type { FakeBedrock } from '../../tools/fake-bedrock/fake-bedrock.js'
import { directEvent, lambdaContext } from '../support/events.js'
import { useFakeBedrockServer } from '../support/fake-bedrock-server.js'
import { at, EAST, regionsOf, WEST } from '../support/scenario.js'

let server!: FakeBedrock
useFakeBedrockServer((s) => { server = s })

const body = JSON.stringify({
  anthropic_version: 'bedrock-2023-05-31', max_tokens: 256, messages: [{ role: 'user', content: [{ type: 'text', text: 'hello' }] }],
})

const handler = () => middy(async (_event: unknown, context: BreakwaterContext): Promise<Served | unknown> => {
  try {
    return (await context.bedrock.invokeModel({ body, contentType: 'application/json', accept: 'application/json' })).served
  } catch (error) {
    return error
  }
}).use(breakwater({
  routes: { default: { targets: [at(EAST), at(WEST)], invokeModel: true } },
  client: { clientConfig: fakeClientConfig(server) },
  degradation: false,
}))
const invoke = () => handler()(directEvent(), lambdaContext() as BreakwaterContext)

describe('invokeModel stop reasons', () => {
  it('a guardrail intervention is served flagged, from the first target, once', async () => {
    server.plan([{ kind: 'stop-reason', stopReason: 'guardrail_intervened' }])
    expect(await invoke()).toMatchObject({ region: EAST, attempts: 1, intervened: 'guardrail' })
    expect(regionsOf(server.calls)).toEqual([EAST])
  })

  it('stop_reason malformed_tool_use moves on to the next target', async () => {
    server.plan([{ kind: 'stop-reason', stopReason: 'malformed_tool_use', region: EAST }])
    expect(await invoke()).toMatchObject({ region: WEST, degraded: 'fallback-target' })
    expect(regionsOf(server.calls)).toEqual([EAST, WEST])
  })

  it('stop_reason model_context_window_exceeded: 413, the same model elsewhere not tried', async () => {
    server.plan([{ kind: 'stop-reason', stopReason: 'model_context_window_exceeded' }])
    expect(await invoke()).toMatchObject({ name: 'ContextOverflowError', statusCode: 413 })
    expect(regionsOf(server.calls)).toEqual([EAST])
  })
})
