/**
 * The history summarizer (`fallback({ summarize })`) on the wire: the turns a shortening drops are condensed by a
 * cheap model, through the same engine, into one system note of the request that is sent; when the summarizer
 * cannot answer, the history is shortened without a note, as without the option.
 */
import { describe, expect, it, jest } from '@jest/globals'
import { Metrics } from '@aws-lambda-powertools/metrics'
import type { Message } from '@aws-sdk/client-bedrock-runtime'
import middy from '@middy/core'
import { breakwater } from '../../src/middlewares/breakwater.js'
import type { BreakwaterContext } from '../../src/middlewares/stack.js'
import { fakeClientConfig } from '../../tools/fake-bedrock/bedrock-client.js'
import { lambdaContext } from '../support/events.js'
import type { FakeBedrock } from '../../tools/fake-bedrock/fake-bedrock.js'
import type { CallRecord } from '../../tools/fake-bedrock/fake-bedrock-replies.js'
import { useFakeBedrockServer } from '../support/fake-bedrock-server.js'
import { httpApiEvent } from '../support/events.js'
import { assistant, chatHandler, EAST, HAIKU, messagesSent, parseBody, user, WEST } from '../support/scenario.js'

let server!: FakeBedrock
useFakeBedrockServer((s) => { server = s })

const NOVA = 'amazon.nova-micro-v1:0'
/** 9 turns of 1 000 characters (~250 tokens each), user first and last. */
const longHistory = (): Message[] => Array.from({ length: 9 }, (_, i) => (i % 2 === 0 ? user : assistant)(`turn ${i} ${'x'.repeat(992)}`))
const input = { messages: longHistory(), inferenceConfig: { maxTokens: 100 } }
const summarize = { targets: [`${NOVA}@${EAST}`, `${NOVA}@${WEST}`], maxTokens: 50 }
const systemSent = (call: CallRecord | undefined): string[] =>
  ((call?.body as { system?: { text?: string }[] } | undefined)?.system ?? []).map((b) => b.text ?? '')
const textOf = (call: CallRecord | undefined): string =>
  messagesSent(call).flatMap((m) => (m.content ?? []).map((b) => b.text ?? '')).join('\n')

describe('fallback({ summarize })', () => {
  it('condenses the turns fitted out before the call into a system note of the request sent', async () => {
    server.replyWith((c) => (c.model === NOVA ? 'The user and the assistant went over turns 0 to 4.' : `echo [${c.model}]`))
    const routes = { default: [{ model: HAIKU, region: EAST, contextWindow: 1_300 }] }
    const chat = chatHandler(server, { routes, fallback: { summarize } }, { input })
    const result = await chat.invoke(httpApiEvent())

    expect(result.statusCode).toBe(200)
    expect(server.calls.map((c) => c.model)).toEqual([NOVA, HAIKU])
    const [summary, answer] = server.calls
    // The summarizer read the dropped turns (the oldest), not the ones kept.
    expect(textOf(summary)).toContain('User: turn 0')
    expect(textOf(summary)).not.toContain('turn 8')
    expect(messagesSent(answer).map((m) => m.content?.[0]?.text?.slice(0, 6))).toEqual(['turn 6', 'turn 7', 'turn 8'])
    expect(systemSent(answer)).toEqual([expect.stringContaining('The user and the assistant went over turns 0 to 4.')])
    expect(parseBody(result)).toMatchObject({
      served: { model: HAIKU, attempts: 1, degraded: 'truncated-context', degradations: ['truncated-context', 'summarized-context'] },
    })
  })

  it('a summarizer that cannot answer (every region 503) leaves the plain shortening, and the request is served', async () => {
    server.plan([{ kind: 'unavailable', model: NOVA }])
    const routes = { default: [{ model: HAIKU, region: EAST, contextWindow: 1_300 }] }
    const chat = chatHandler(server, { routes, fallback: { summarize } }, { input })
    const result = await chat.invoke(httpApiEvent())

    expect(result.statusCode).toBe(200)
    // The summary is a cascade like any other (quick retry, next region, backoff on the last), then the request goes.
    const calls = server.calls
    const summaryCalls = calls.slice(0, -1)
    expect(summaryCalls.every((c) => c.model === NOVA)).toBe(true)
    expect(new Set(summaryCalls.map((c) => c.region))).toEqual(new Set([EAST, WEST]))
    expect(calls.at(-1)?.model).toBe(HAIKU)
    expect(systemSent(calls.at(-1))).toEqual([])
    expect(messagesSent(calls.at(-1))).toHaveLength(3)
    expect(parseBody(result)).toMatchObject({ served: { degradations: ['truncated-context'] } })
  })

  it('after Bedrock\'s "input is too long" the retry carries the summary of what it dropped', async () => {
    server.plan([{ kind: 'context-overflow', model: HAIKU, times: 1 }])
    server.replyWith((c) => (c.model === NOVA ? 'Earlier: the user set out the task.' : 'ok'))
    const routes = { default: [`${HAIKU}@${EAST}`] }
    const chat = chatHandler(server, { routes, fallback: { summarize } }, { input })
    const result = await chat.invoke(httpApiEvent())

    expect(result.statusCode).toBe(200)
    expect(server.calls.map((c) => c.model)).toEqual([HAIKU, NOVA, HAIKU])
    expect(messagesSent(server.calls[0])).toHaveLength(9)
    expect(messagesSent(server.calls[2]).length).toBeLessThan(9)
    expect(systemSent(server.calls[2])).toEqual([expect.stringContaining('Earlier: the user set out the task.')])
  })

  it('a request that fits is sent as it is: no summary call', async () => {
    const chat = chatHandler(server, { routes: { default: [`${HAIKU}@${EAST}`] }, fallback: { summarize } }, { input })
    await chat.invoke(httpApiEvent())
    expect(server.calls.map((c) => c.model)).toEqual([HAIKU])
  })

  it('a stream gets the same note; HistorySummaries and HistorySummaryFailures count each summary', async () => {
    server.replyWith((c) => (c.model === NOVA ? 'They spoke of turns.' : 'streamed answer'))
    const metrics = new Metrics({ namespace: 'Summaries', serviceName: 'summaries' })
    const added = jest.spyOn(metrics, 'addMetric').mockImplementation(() => metrics)
    const handler = middy(async (event: { readonly other?: typeof input }, context: BreakwaterContext) => {
      const reply = await context.bedrock.converseStream(event.other ?? input, { firstTokenTimeoutMs: 1_000 })
      for await (const _e of reply) { /* drained */ }
      return reply.final()
    }).use(breakwater({
      routes: { default: [{ model: HAIKU, region: EAST, contextWindow: 1_300 }] }, fallback: { summarize },
      metrics, client: { clientConfig: fakeClientConfig(server) }, degradation: false,
    }))
    const counted = (name: string): number => added.mock.calls.filter(([n]) => n === name).length

    const first = await handler({}, lambdaContext() as BreakwaterContext)
    expect(server.calls.map((c) => c.operation)).toEqual(['converse', 'converse-stream'])
    expect(systemSent(server.calls[1])).toEqual([expect.stringContaining('They spoke of turns.')])
    expect(first.served.degradations).toEqual(['truncated-context', 'summarized-context'])
    expect([counted('HistorySummaries'), counted('HistorySummaryFailures')]).toEqual([1, 0])

    server.plan([{ kind: 'access-denied', model: NOVA }])
    // Another conversation (new message objects): the first one's summary is not reused for it.
    const other = { ...input, messages: input.messages.map((m) => ({ ...m })) }
    await handler({ other }, lambdaContext() as BreakwaterContext)
    expect([counted('HistorySummaries'), counted('HistorySummaryFailures')]).toEqual([1, 1])
  })

  it('a stream stopped at the context window restarts shortened, with the summary of what it dropped', async () => {
    server.plan([{ kind: 'stop-reason', stopReason: 'model_context_window_exceeded', model: HAIKU, whenLongerThan: { messages: 4 } }])
    server.replyWith((c) => (c.model === NOVA ? 'They went over the early turns.' : 'streamed answer'))
    const handler = middy(async (_event: unknown, context: BreakwaterContext) => {
      const reply = await context.bedrock.converseStream(input, { firstTokenTimeoutMs: 1_000 })
      for await (const _e of reply) { /* drained */ }
      return reply.final()
    }).use(breakwater({
      routes: { default: [`${HAIKU}@${EAST}`] }, fallback: { summarize },
      client: { clientConfig: fakeClientConfig(server) }, degradation: false,
    }))
    const final = await handler({}, lambdaContext() as BreakwaterContext)

    expect(server.calls.map((c) => [c.operation, messagesSent(c).length]))
      .toEqual([['converse-stream', 9], ['converse', 1], ['converse-stream', 3]])
    expect(systemSent(server.calls[2])).toEqual([expect.stringContaining('They went over the early turns.')])
    expect(final.served.degradations).toEqual(['truncated-context', 'summarized-context'])
  })
})
