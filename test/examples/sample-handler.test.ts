/**
 * Replays every events/ fixture through the sample chat handler (Breakwater preset, real SDK clients) against the
 * fake Bedrock, and checks the reply each event source expects.
 */
import { readdirSync, readFileSync } from 'node:fs'
import type { SQSEvent } from 'aws-lambda'
import { createHandler, type ChatHandler } from '../../examples/chat/chat-handler.js'
import { DEMO_POLICIES, ROUTES, scenarioNamed } from '../../tools/fake-bedrock/scenarios.js'
import { lambdaContext } from '../../tools/lambda-context.js'
import { fakeClientConfig } from '../../tools/fake-bedrock/bedrock-client.js'
import { FakeBedrock } from '../../tools/fake-bedrock/fake-bedrock.js'

const EVENTS_DIR = new URL('../../events/', import.meta.url)
const load = (file: string): unknown => JSON.parse(readFileSync(new URL(file, EVENTS_DIR), 'utf8'))
const json = (body: unknown): Record<string, unknown> => JSON.parse(String(body)) as Record<string, unknown>

type Result = Record<string, unknown>
/** What each fixture must get back from a healthy Bedrock, and how many Bedrock calls it takes. */
const EXPECTED: Record<string, { check: (r: Result) => void; calls: number }> = {
  'apigw-rest.json': {
    calls: 1, check: (r) => expect(r).toMatchObject({ statusCode: 200, headers: { 'content-type': 'application/json' } }),
  },
  'apigw-http.json': { calls: 1, check: (r) => expect(r).toMatchObject({ statusCode: 200 }) },
  'function-url.json': { calls: 1, check: (r) => expect(r).toMatchObject({ statusCode: 200 }) },
  'alb.json': { calls: 1, check: (r) => expect(r).toMatchObject({ statusCode: 200, statusDescription: '200 OK', isBase64Encoded: false }) },
  'direct.json': { calls: 1, check: (r) => expect(r).toMatchObject({ ok: true, degraded: false, region: 'us-east-1' }) },
  'sqs-batch.json': { calls: 3, check: (r) => expect(r).toEqual({ batchItemFailures: [] }) },
  'apigw-http-missing-body.json': { calls: 0, check: (r) => expect(r).toMatchObject({ statusCode: 400 }) },
  'apigw-http-invalid-json.json': { calls: 0, check: (r) => expect(r).toMatchObject({ statusCode: 400 }) },
  // Too long for the primary model (both regions share its window) and for the smaller one: one call each, then 413.
  'apigw-http-oversize-prompt.json': { calls: 2, check: (r) => expect(r).toMatchObject({ statusCode: 413 }) },
}

describe('sample chat handler over the events/ fixtures', () => {
  let server: FakeBedrock
  let handler: ChatHandler
  let n = 0
  const invoke = (event: unknown): Promise<Result> =>
    handler(event, lambdaContext({ timeoutMs: 10_000, requestId: `test-${++n}` })) as Promise<Result>

  beforeAll(async () => { server = await FakeBedrock.start() })
  afterAll(async () => { await server.stop() })
  beforeEach(() => {
    server.reset()
    server.plan(scenarioNamed('healthy').plan)
    // A fresh handler per test is a fresh container: no breaker state carried over.
    handler = createHandler({ routes: ROUTES, client: { clientConfig: fakeClientConfig(server) }, ...DEMO_POLICIES })
  })

  it('has an expectation for every fixture', () => {
    expect(readdirSync(EVENTS_DIR).filter((f) => f.endsWith('.json')).sort()).toEqual(Object.keys(EXPECTED).sort())
  })

  it.each(Object.keys(EXPECTED))('%s', async (file) => {
    const expected = EXPECTED[file] as (typeof EXPECTED)[string]
    const result = await invoke(load(file))
    expected.check(result)
    expect(server.calls).toHaveLength(expected.calls)
    if (typeof result.body === 'string' && result.statusCode === 200) {
      expect(json(result.body)).toMatchObject({ reply: expect.stringContaining('echo: '), degraded: false })
    }
    if (result.statusCode === 400) expect(json(result.body).message).toMatch(/no body|not valid JSON/)
  })

  it('sends the history and the prompt as alternating Converse turns, with the system prompt', async () => {
    await invoke(load('apigw-http.json'))
    const body = server.calls[0]?.body as { messages: { role: string }[]; system: { text: string }[] }
    expect(body.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant', 'user'])
    expect(body.system[0]?.text).toContain('support assistant')
  })

  it('SQS: reports only the record that failed', async () => {
    const event = load('sqs-batch.json') as SQSEvent
    const bad = event.Records[1]
    if (!bad) throw new Error('fixture needs 3 records')
    bad.body = '{"history": []}'
    expect(await invoke(event)).toEqual({ batchItemFailures: [{ itemIdentifier: bad.messageId }] })
    expect(server.calls).toHaveLength(2)
  })

  it('SQS: every record goes back to the queue when Bedrock is down everywhere', async () => {
    server.plan(scenarioNamed('all-down').plan)
    const event = load('sqs-batch.json') as SQSEvent
    const result = await invoke(event)
    expect(result).toEqual({ batchItemFailures: event.Records.map((r) => ({ itemIdentifier: r.messageId })) })
  })

  it.each([
    ['a number body', { body: 5, isBase64Encoded: true }],
    ['an object body', { body: { prompt: 'hi' } }],
    ['a base64 flag on a non-string body', { body: ['x'], isBase64Encoded: true }],
  ])('HTTP: %s is a 400, not a 500', async (_name, patch) => {
    const event = { ...(load('apigw-http.json') as Record<string, unknown>), ...patch }
    expect(await invoke(event)).toMatchObject({ statusCode: 400 })
    expect(server.calls).toHaveLength(0)
  })

  it('direct: a null event is a 400-shaped failure reply', async () => {
    expect(await invoke(null)).toMatchObject({ ok: false, statusCode: 400, errorType: 'BadRequestError' })
  })

  it('direct: a missing prompt is a 400-shaped failure reply, not a thrown error', async () => {
    expect(await invoke({ history: [] })).toMatchObject({ ok: false, degraded: false, statusCode: 400, errorType: 'BadRequestError' })
  })
})
