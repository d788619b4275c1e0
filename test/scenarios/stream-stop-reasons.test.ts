/**
 * Stop reasons on the real wire's event stream: the fake Bedrock's `messageStop` carries the chosen `stopReason`. A
 * guardrail's stream is delivered whole and flagged (`served.intervened`, sse's `done`), counted once; a stream cut at
 * the context window restarts with a shorter history on the same target; a malformed one restarts on the next.
 */
import { describe, expect, it, jest } from '@jest/globals'
import { Metrics } from '@aws-lambda-powertools/metrics'
import type { Message } from '@aws-sdk/client-bedrock-runtime'
import middy from '@middy/core'
import { breakwater } from '../../src/middlewares/breakwater.js'
import type { BreakwaterContext } from '../../src/middlewares/stack.js'
import { servedSummary } from '../../src/responders/sse-events.js'
import { fakeClientConfig } from '../../tools/fake-bedrock/bedrock-client.js'
import { BLOCKED_MESSAGE, type FakeBedrock } from '../../tools/fake-bedrock/fake-bedrock.js'
import { directEvent, lambdaContext } from '../support/events.js'
import { useFakeBedrockServer } from '../support/fake-bedrock-server.js'
import { at, EAST, history, messagesSent, WEST } from '../support/scenario.js'

let server!: FakeBedrock
useFakeBedrockServer((s) => { server = s })

function streamed(messages: Message[]) {
  const metrics = new Metrics({ namespace: 'StreamStops', serviceName: 'stream-stops' })
  const added = jest.spyOn(metrics, 'addMetric').mockImplementation(() => metrics)
  const handler = middy(async (_event: unknown, context: BreakwaterContext) => {
    const shown: string[] = []
    const reply = await context.bedrock.converseStream({ messages }, { firstTokenTimeoutMs: 1_000 })
    for await (const e of reply) {
      if ('breakwaterRestart' in e) shown.push('RESTART')
      else if (e.contentBlockDelta?.delta?.text !== undefined) shown.push(e.contentBlockDelta.delta.text)
    }
    return { shown, final: reply.final() }
  }).use(breakwater({
    routes: { default: [at(EAST), at(WEST)] }, metrics, client: { clientConfig: fakeClientConfig(server) }, degradation: false,
  }))
  const invoke = () => handler(directEvent(), lambdaContext() as BreakwaterContext)
  return { invoke, counted: (name: string) => added.mock.calls.filter(([n]) => n === name).length }
}

describe('stream stop reasons on the real wire', () => {
  it('guardrail_intervened: the blocked message streams whole, flagged in served and done, counted once', async () => {
    server.plan([{ kind: 'stop-reason', stopReason: 'guardrail_intervened' }])
    const s = streamed(history(1))
    const { shown, final } = await s.invoke()

    expect(shown.join('')).toBe(BLOCKED_MESSAGE)
    expect(final).toMatchObject({ stopReason: 'guardrail_intervened', served: { region: EAST, intervened: 'guardrail' } })
    expect(servedSummary(final.served)).toMatchObject({ region: EAST, intervened: 'guardrail' })
    expect(s.counted('GuardrailInterventions')).toBe(1)
    expect(server.callsTo()).toBe(1)
  })

  it('model_context_window_exceeded: restarted on the same target with a shorter history', async () => {
    server.plan([{ kind: 'stop-reason', stopReason: 'model_context_window_exceeded', whenLongerThan: { messages: 4 } }])
    const { shown, final } = await streamed(history(9)).invoke()

    expect(shown).toContain('RESTART')
    expect(final.served).toMatchObject({ region: EAST, degraded: 'truncated-context' })
    expect(server.calls.map((c) => [c.region, messagesSent(c).length])).toEqual([[EAST, 9], [EAST, 3]])
  })

  it('malformed_model_output: restarted on the next target', async () => {
    server.plan([{ kind: 'stop-reason', stopReason: 'malformed_model_output', region: EAST }])
    const { shown, final } = await streamed(history(1)).invoke()

    expect(shown).toContain('RESTART')
    expect(final).toMatchObject({ stopReason: 'end_turn', served: { region: WEST, degraded: 'fallback-target' } })
    expect(server.calls.map((c) => c.region)).toEqual([EAST, WEST])
  })
})
