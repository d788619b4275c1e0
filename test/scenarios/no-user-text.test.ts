/**
 * Issue 10, finding 1: nothing the user or the model wrote reaches logs or traces unless the user opts in. Bedrock's
 * own error text echoes the prompt here (as the real service can), the request body a SyntaxError quotes holds it, a
 * validator's reason quotes the model's reply; a real Powertools Logger prints to stdout and a tracer records every
 * `addError`. The marker must appear in none of it, for every failure class; with `logErrorMessages: true` it does.
 */
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals'
import { Logger } from '@aws-lambda-powertools/logger'
import middy from '@middy/core'
import { BadRequestError, breakwater, type BreakwaterContext, type BreakwaterOptions } from '../../src/index.js'
import type { TraceSegment, TraceSubsegment, TracerLike } from '../../src/aws/tracing.js'
import { fakeClientConfig } from '../../tools/fake-bedrock/bedrock-client.js'
import { httpApiEvent, lambdaContext } from '../support/events.js'
import type { FakeBedrock, FaultRule } from '../../tools/fake-bedrock/fake-bedrock.js'
import { useFakeBedrockServer } from '../support/fake-bedrock-server.js'
import { at, chatHandler, EAST, WEST } from '../support/scenario.js'

let server!: FakeBedrock
useFakeBedrockServer((s) => { server = s })

const MARKER = 'USER-TEXT-7c1d-never-log-me'
const routes = { default: [at(EAST), at(WEST)] }

/** Records what a tracer would send to X-Ray of each error: name, message, stack. */
class RecordingTracer implements TracerLike {
  readonly errors: string[] = []
  private current: TraceSegment
  constructor() {
    const make = (): TraceSubsegment => ({
      addNewSubsegment: () => make(),
      addAnnotation: () => undefined,
      addError: (e) => { this.errors.push(typeof e === 'string' ? e : `${e.name}|${e.message}|${e.stack ?? ''}`) },
      close: () => undefined,
    })
    this.current = make()
  }
  isTracingEnabled(): boolean { return true }
  getSegment(): TraceSegment { return this.current }
  setSegment(segment: TraceSegment): void { this.current = segment }
}

let printed: string[]
let logger: Logger
let tracer: RecordingTracer
beforeEach(() => {
  printed = []
  logger = new Logger({ serviceName: 'chat', logLevel: 'DEBUG' })
  tracer = new RecordingTracer()
  const capture = (chunk: unknown): boolean => { printed.push(String(chunk)); return true }
  jest.spyOn(process.stdout, 'write').mockImplementation(capture)
  jest.spyOn(process.stderr, 'write').mockImplementation(capture)
})
afterEach(() => { jest.restoreAllMocks() })

const seen = (): string => [...printed, ...tracer.errors].join('\n')
const options = (extra: Partial<BreakwaterOptions> = {}): Omit<BreakwaterOptions, 'client'> =>
  ({ routes, logger, tracer, backoff: { baseMs: 1, throttleBaseMs: 1, maxAttempts: 2 }, fallback: { malformedRetries: 0 }, ...extra })

describe('Bedrock text that echoes the prompt', () => {
  const echo = `The prompt "${MARKER}" was rejected`
  const classes: [string, FaultRule[]][] = [
    ['throttled', [{ kind: 'throttle', message: echo }]],
    ['unavailable', [{ kind: 'unavailable', message: echo }]],
    ['timed out', [{ kind: 'model-timeout', message: echo }]],
    ['context overflow', [{ kind: 'context-overflow', message: `Input is too long for requested model: ${MARKER}` }]],
    ['caller fault', [{ kind: 'validation', message: echo }]],
    ['access denied', [{ kind: 'access-denied', message: echo }]],
    ['broken 200 body', [{ kind: 'bad-body', body: `<html>${MARKER}</html>` }]],
  ]
  it.each(classes)('%s: the reply is logged and traced by name and class only', async (_name, plan) => {
    server.plan(plan)
    const chat = chatHandler(server, options())
    const result = await chat.invoke(httpApiEvent())
    expect(result.statusCode).toBeGreaterThanOrEqual(400)
    expect(printed.join('\n')).toContain('breakwater replied with a failure')
    expect(tracer.errors.length).toBeGreaterThan(0)
    expect(seen()).not.toContain(MARKER)
  })

  it('with logErrorMessages: true the text is logged and traced (the opt-in)', async () => {
    server.plan([{ kind: 'unavailable', message: echo }])
    const chat = chatHandler(server, options({ logErrorMessages: true }))
    await chat.invoke(httpApiEvent())
    expect(printed.join('\n')).toContain(MARKER)
    expect(tracer.errors.join('\n')).toContain(MARKER)
  })
})

describe('text our own code meets', () => {
  const handler = (extra: Partial<BreakwaterOptions>, work: (context: BreakwaterContext, body: string) => Promise<unknown>) =>
    middy(async (event: { body: string }, context: BreakwaterContext) => work(context, event.body))
      .use(breakwater({ ...options(extra), client: { clientConfig: fakeClientConfig(server) } }))

  it('a BadRequestError whose cause is a JSON SyntaxError quoting the body', async () => {
    const h = handler({}, async (_context, body) => {
      try {
        return JSON.parse(body)
      } catch (cause) {
        throw new BadRequestError('The request body is not valid JSON', cause)
      }
    })
    const badJson = { ...httpApiEvent(), body: `{"prompt": ${MARKER}` }
    const result = await h(badJson, lambdaContext() as BreakwaterContext) as { statusCode: number }
    expect(result.statusCode).toBe(400)
    expect(printed.join('\n')).toContain('The request body is not valid JSON') // our own message stays
    expect(printed.join('\n')).toContain('SyntaxError')
    expect(seen()).not.toContain(MARKER)
  })

  it('a validator that quotes the model\'s reply', async () => {
    server.replyWith(() => `Sure! ${MARKER}`)
    const h = handler({ routes: { default: [at(EAST)] } }, (context) => context.bedrock.converse(
      { messages: [{ role: 'user', content: [{ text: 'hi' }] }] },
      { validate: (text) => { throw new Error(`not JSON: ${text}`) } },
    ))
    const result = await h({ ...httpApiEvent(), body: '{}' }, lambdaContext() as BreakwaterContext) as { statusCode: number }
    expect(result.statusCode).toBe(503)
    expect(tracer.errors.length).toBeGreaterThan(0)
    expect(seen()).not.toContain(MARKER)
  })

  it('a bug whose message holds user text: logged by name and stack frames', async () => {
    const h = handler({}, async (_context, body) => { throw new TypeError(`cannot handle ${body}`) })
    const result = await h({ ...httpApiEvent(), body: MARKER }, lambdaContext() as BreakwaterContext) as { statusCode: number }
    expect(result.statusCode).toBe(500)
    expect(printed.join('\n')).toContain('TypeError')
    expect(printed.join('\n')).toContain('no-user-text.test.ts') // the frames stay: where it broke is not user text
    expect(seen()).not.toContain(MARKER)
  })

  it('a history summary: the turns the summarizer reads and the summary it writes (or its failure) are logged by kind only', async () => {
    const turns = Array.from({ length: 9 }, (_, i) => ({
      role: i % 2 === 0 ? 'user' as const : 'assistant' as const, content: [{ text: `${MARKER} ${'x'.repeat(990)}` }],
    }))
    const input = { messages: turns, inferenceConfig: { maxTokens: 100 } }
    for (const fails of [false, true]) {
      server.reset()
      server.replyWith((c) => (c.model.startsWith('amazon.nova') ? `Summary: ${MARKER}` : `reply ${MARKER}`))
      if (fails) server.plan([{ kind: 'unavailable', model: 'amazon.nova-micro-v1:0' }])
      const summarize = { targets: [`amazon.nova-micro-v1:0@${EAST}`] }
      const small = { model: 'anthropic.claude-3-haiku-20240307-v1:0', region: EAST, contextWindow: 1_300 }
      const chat = chatHandler(server, options({ routes: { default: [small] }, fallback: { summarize } }), { input })
      const result = await chat.invoke(httpApiEvent())
      expect(result.statusCode).toBe(200)
      // The summary was written (and carried its marker) in the first run: the check below covers its text.
      expect(chat.served[0]?.degradations.includes('summarized-context')).toBe(!fails)
    }
    expect(printed.join('\n')).toContain('breakwater history summary failed')
    expect(seen()).not.toContain(MARKER)
  })
})
