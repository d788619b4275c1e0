/**
 * The streaming chat example (examples/chat/chat-stream-handler.ts, deployed as ChatStreamFunction) run the way the
 * Lambda runtime runs a streamified handler, with Powertools Logger and Metrics, over the function URL fixture.
 * Bedrock is aws-sdk-client-mock's ConverseStreamCommand returning `{ stream }` (the fake Bedrock of tools/ does not
 * speak ConverseStream on this branch; the real-wire stream scenarios live with it).
 */
import { beforeEach, describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import {
  BedrockRuntimeClient, ConverseStreamCommand, ServiceUnavailableException, type ConverseStreamOutput,
} from '@aws-sdk/client-bedrock-runtime'
import { Logger } from '@aws-lambda-powertools/logger'
import { Metrics } from '@aws-lambda-powertools/metrics'
import { mockClient } from 'aws-sdk-client-mock'
import { createStreamHandler } from '../../examples/chat/chat-stream-handler.js'
import { lambdaContext } from '../../tools/lambda-context.js'
import { installAwsLambdaGlobal, type StreamingHandler } from '../../tools/local-invoke/response-stream.js'
import { invokeStreaming, type StreamedResponse } from '../../tools/local-invoke/stream-decoder.js'
import { capturePrinted } from '../support/printed.js'

installAwsLambdaGlobal()

const EVENTS_DIR = new URL('../../events/', import.meta.url)
const load = (file: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(file, EVENTS_DIR), 'utf8')) as Record<string, unknown>
const PROMPT = 'where is the train station'
const MODEL = 'us.anthropic.claude-3-5-haiku-20241022-v1:0'
const routes = { default: [`${MODEL}@us-east-1`, `${MODEL}@us-west-2`] }

const bedrock = mockClient(BedrockRuntimeClient)
afterAll(() => bedrock.restore())

const delta = (text: string): ConverseStreamOutput => ({ contentBlockDelta: { contentBlockIndex: 0, delta: { text } } })
async function* events(list: ConverseStreamOutput[], error?: Error): AsyncGenerator<ConverseStreamOutput> {
  yield* list
  if (error) throw error
}
const whole = (...texts: string[]): ConverseStreamOutput[] =>
  [{ messageStart: { role: 'assistant' } }, ...texts.map(delta), { messageStop: { stopReason: 'end_turn' } }]
const unavailable = (): ServiceUnavailableException => new ServiceUnavailableException({ message: `busy: ${PROMPT}`, $metadata: {} })

const printedLines = capturePrinted()
beforeEach(() => {
  bedrock.reset()
})


function plan(byRegion: Record<string, Array<() => AsyncGenerator<ConverseStreamOutput> | Error>>): void {
  bedrock.on(ConverseStreamCommand).callsFake(async (_input, getClient) => {
    const made = byRegion[await getClient().config.region()]?.shift()?.()
    if (made === undefined || made instanceof Error) throw made ?? new Error('no plan')
    return { stream: made, $metadata: {} }
  })
}

async function invoke(event: unknown): Promise<StreamedResponse> {
  const logger = new Logger({ serviceName: 'chat', logLevel: 'WARN' })
  const metrics = new Metrics({ namespace: 'Breakwater', serviceName: 'chat' })
  const handler = createStreamHandler({ routes, logger, metrics, backoff: { maxAttempts: 1 } }) as unknown as StreamingHandler
  return invokeStreaming(handler, event, lambdaContext({ timeoutMs: 30_000, requestId: 'req-stream-1' }))
}

const names = (body: string): string[] => [...body.matchAll(/^event: (\w+)$/gm)].map((m) => m[1] ?? '')

describe('the streaming chat example over the function URL fixture', () => {
  it('streams the answer as server-sent events, asking with the system prompt, the prompt and maxTokens', async () => {
    plan({ 'us-east-1': [() => events(whole('Onde fica ', 'a estação?'))] })
    const response = await invoke(load('function-url.json'))
    expect(response.prelude).toMatchObject({ statusCode: 200, headers: { 'content-type': 'text/event-stream; charset=utf-8' } })
    expect(names(response.body)).toEqual(['token', 'token', 'done'])
    expect(response.body).toContain('data: {"text":"a estação?"}')
    const input = bedrock.commandCalls(ConverseStreamCommand)[0]?.args[0].input
    const system = [{ text: expect.stringContaining('support assistant') }]
    expect(input).toMatchObject({ modelId: MODEL, inferenceConfig: { maxTokens: 1024 }, system })
    expect(JSON.stringify(input?.messages)).toContain(PROMPT)
  })

  it('a request without a body is a 400 before anything streams, and Bedrock is not called', async () => {
    const response = await invoke({ ...load('function-url.json'), body: '' })
    expect(response.prelude).toMatchObject({ statusCode: 400 })
    expect(JSON.parse(response.body)).toMatchObject({ message: expect.stringContaining('no body'), requestId: 'req-stream-1' })
    expect(bedrock.commandCalls(ConverseStreamCommand)).toHaveLength(0)
  })

  it('a stream that breaks off with no target left ends with a polite error; logs and metrics name no text', async () => {
    plan({
      'us-east-1': [() => events([{ messageStart: { role: 'assistant' } }, delta('Onde')], unavailable())],
      'us-west-2': [() => unavailable()],
    })
    const response = await invoke(load('function-url.json'))
    expect(names(response.body)).toEqual(['token', 'error'])
    expect(response.body).toMatch(/"message":"The assistant is busy right now\. Please try again in a moment\.","retryAfterSeconds":5,"requestId":"req-stream-1"/)
    const logged = printedLines().filter((line) => !('_aws' in line))
    expect(logged.some((line) => line.message === 'breakwater ended a stream with an error event')).toBe(true)
    expect(JSON.stringify(printedLines())).not.toMatch(/train station|Onde/)
    // logMetrics flushed before the body streamed; what the stream added is published at its end.
    const emf = printedLines().filter((line) => '_aws' in line)
    expect(emf.at(-1)).toMatchObject({ DegradedResponses: 1, StreamInterruptions: 1 })
  })
})
