/**
 * What a real Powertools Logger and Metrics print while Breakwater works, flushed by the Powertools Middy
 * middlewares as users stack them: the metric names and values in the EMF blobs, the keys of the log lines, and
 * that the prompt never reaches a log line.
 */
import { jest } from '@jest/globals'
import {
  BedrockRuntimeClient, ConverseCommand, ServiceUnavailableException, ThrottlingException, type ConverseCommandOutput,
} from '@aws-sdk/client-bedrock-runtime'
import { Logger } from '@aws-lambda-powertools/logger'
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware'
import { Metrics } from '@aws-lambda-powertools/metrics'
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware'
import middy, { type MiddlewareObj } from '@middy/core'
import type { Context } from 'aws-lambda'
import { mockClient } from 'aws-sdk-client-mock'
import { breakwater, type BreakwaterOptions } from '../../src/middlewares/breakwater.js'
import { circuitBreaker } from '../../src/middlewares/circuit-breaker.js'
import { router, type BreakwaterContext } from '../../src/middlewares/router.js'
import { directEvent, lambdaContext } from '../support/events.js'
import { SimClock } from '../support/sim-clock.js'

const HAIKU = 'anthropic.claude-3-haiku-20240307-v1:0'
const routes = { default: [`${HAIKU}@us-east-1`, `${HAIKU}@us-west-2`], solo: [`${HAIKU}@us-east-1`] }
const MARKER = 'PROMPT-MARKER-5f1c9e2a-never-log-me'

const bedrock = mockClient(BedrockRuntimeClient)
const answer = (text: string): ConverseCommandOutput => ({
  output: { message: { role: 'assistant', content: [{ text }] } }, stopReason: 'end_turn',
  usage: { inputTokens: 9, outputTokens: 4, totalTokens: 13 }, metrics: { latencyMs: 10 }, $metadata: {},
})
const down = () => new ServiceUnavailableException({ message: 'Bedrock is unable to process your request', $metadata: {} })
const throttled = () => new ThrottlingException({ message: 'Too many requests, please wait', $metadata: {} })

let clock: SimClock
let logger: Logger
let metrics: Metrics
let printed: string[]
beforeEach(() => {
  bedrock.reset()
  clock = new SimClock()
  logger = new Logger({ serviceName: 'chat', logLevel: 'DEBUG' })
  metrics = new Metrics({ namespace: 'Breakwater', serviceName: 'chat' })
  printed = []
  const capture = (chunk: unknown): boolean => { printed.push(String(chunk)); return true }
  jest.spyOn(process.stdout, 'write').mockImplementation(capture)
  jest.spyOn(process.stderr, 'write').mockImplementation(capture)
})
afterEach(() => jest.restoreAllMocks())
afterAll(() => bedrock.restore())

/** Each upstream call takes `latencyMs` on the sim clock, then does what `outcomes` says, in order (the last repeats). */
function upstream(...outcomes: { region?: string; latencyMs: number; fail?: () => Error }[]): void {
  let i = 0
  bedrock.on(ConverseCommand).callsFake(async (_input, getClient) => {
    const region = await getClient().config.region()
    const o = outcomes.filter((x) => !x.region || x.region === region)[i++] ?? outcomes[outcomes.length - 1]!
    clock.advance(o.latencyMs)
    if (o.fail) throw o.fail()
    return answer(`{"ok":true} ${region}`)
  })
}

function app(stack: MiddlewareObj[], route = 'default') {
  const handler = middy(async (_event: unknown, context: Context) => {
    const reply = await (context as BreakwaterContext).bedrock.converse({
      system: [{ text: `Customer note: ${MARKER}` }],
      messages: [{ role: 'user', content: [{ text: `Summarise ${MARKER}` }] }],
    }, { route })
    return reply.text
  })
  return handler.use(injectLambdaContext(logger)).use(logMetrics(metrics)).use(stack)
}
const invoke = (handler: ReturnType<typeof app>, context: Context = lambdaContext()) =>
  clock.run(handler(directEvent(), context).catch((e: unknown) => e))
const preset = (options: Partial<BreakwaterOptions> = {}) =>
  breakwater({ routes, logger, metrics, clock, random: () => 0.5, latencyMetric: true, ...options })

const parsed = (): Record<string, unknown>[] => printed.join('').split('\n').filter(Boolean).flatMap((l) => {
  try { return [JSON.parse(l) as Record<string, unknown>] } catch { return [] }
})
/** Every value of every metric in the EMF blobs, by name, in flush order. */
function metricValues(): Record<string, number[]> {
  const out: Record<string, number[]> = {}
  for (const blob of parsed().filter((l) => '_aws' in l)) {
    const defs = (blob._aws as { CloudWatchMetrics: { Metrics: { Name: string }[] }[] }).CloudWatchMetrics[0]!.Metrics
    for (const { Name } of defs) (out[Name] ??= []).push(...([] as number[]).concat(blob[Name] as number | number[]))
  }
  return out
}
const breakwaterLogs = (): Record<string, unknown>[] =>
  parsed().filter((l) => typeof l.message === 'string' && l.message.startsWith('breakwater'))
const pick = (l: Record<string, unknown>, keys: string[]) => Object.fromEntries(keys.map((k) => [k, l[k]]))
const ATTEMPT_KEYS = ['level', 'message', 'route', 'model', 'region', 'attempt', 'outcome', 'errorName', 'latencyMs', 'waitMs']

describe('metrics and log lines', () => {
  it('a healthy call adds no metric unless latencyMetric is on', async () => {
    upstream({ region: 'us-east-1', latencyMs: 40 })
    expect(await invoke(app(preset({ latencyMetric: undefined })))).toBe('{"ok":true} us-east-1')
    expect(metricValues()).toEqual({})
    upstream({ region: 'us-east-1', latencyMs: 40 })
    await invoke(app(preset({ latencyMetric: true })))
    expect(metricValues()).toEqual({ UpstreamLatency: [40] })
  })

  it('a fallback emits FallbackModelInvocations and one UpstreamLatency per call (the first 503 retried at once)', async () => {
    const east = { region: 'us-east-1', latencyMs: 120, fail: down }
    upstream(east, east, { region: 'us-west-2', latencyMs: 80 })
    expect(await invoke(app(preset()))).toBe('{"ok":true} us-west-2')
    expect(metricValues()).toEqual({ UpstreamLatency: [120, 120, 80], FallbackModelInvocations: [1], Retries: [1] })
    const failed = (attempt: number) => ({
      level: 'WARN', message: 'breakwater attempt failed', route: 'default', model: HAIKU, region: 'us-east-1',
      attempt, outcome: 'unavailable', errorName: 'ServiceUnavailableException', latencyMs: 120, waitMs: 0,
    })
    const lines = breakwaterLogs().filter((l) => l.message !== 'breakwater retry')
    expect(lines.map((l) => pick(l, ATTEMPT_KEYS))).toEqual([
      failed(1),
      failed(2),
      {
        level: 'DEBUG', message: 'breakwater attempt', route: 'default', model: HAIKU, region: 'us-west-2',
        attempt: 1, outcome: 'success', errorName: undefined, latencyMs: 80, waitMs: 0,
      },
      {
        level: 'INFO', message: 'breakwater served', route: 'default', model: HAIKU, region: 'us-west-2',
        attempt: undefined, outcome: undefined, errorName: undefined, latencyMs: undefined, waitMs: undefined,
      },
    ])
    expect(lines[3])
      .toMatchObject({ attempts: 3, degraded: 'fallback-target', function_request_id: '5b0d3f0a-1c2e-4a51-9d3e-1f2a3b4c5d6e' })
  })

  it('retries emit Retries with the full-jitter wait; the attempt lines number the attempts', async () => {
    upstream({ latencyMs: 50, fail: throttled }, { latencyMs: 50, fail: throttled }, { latencyMs: 50 })
    await invoke(app(preset({ backoff: { throttleBaseMs: 400 } }), 'solo'))
    expect(metricValues()).toEqual({ UpstreamLatency: [50, 50, 50], Retries: [1, 1] })
    const lines = breakwaterLogs()
    const retries = lines.filter((l) => l.message === 'breakwater retry')
    expect(retries.map((l) => pick(l, ['route', 'region', 'waitMs', 'failureClass']))).toEqual([
      { route: 'solo', region: 'us-east-1', waitMs: 200, failureClass: 'throttled' },
      { route: 'solo', region: 'us-east-1', waitMs: 400, failureClass: 'throttled' },
    ])
    expect(lines.filter((l) => String(l.message).startsWith('breakwater attempt')).map((l) => [l.attempt, l.outcome, l.waitMs]))
      .toEqual([[1, 'throttled', 0], [2, 'throttled', 200], [3, 'success', 400]])
  })

  it('the breaker opening emits BreakerOpened, half-open probes ProbesGranted, the last stage passing BreakerClosed', async () => {
    upstream({ latencyMs: 30, fail: down }, { latencyMs: 30, fail: down }, { latencyMs: 30 })
    const breaker = circuitBreaker({ consecutiveFailures: 2, cooldownMs: 1_000, probeStages: [1, 2], logger, metrics, clock })
    const handler = app([router({ routes, logger, metrics, clock, latencyMetric: true }), breaker], 'solo')
    for (let i = 0; i < 3; i++) await invoke(handler) // fail, fail (opens), skipped while open
    expect(metricValues()).toEqual({ UpstreamLatency: [30, 30], BreakerOpened: [1] })
    clock.advance(1_000)
    for (let i = 0; i < 3; i++) await invoke(handler) // probe (stage 0), probe, probe (stage 1 passes: closes)
    expect(metricValues())
      .toEqual({ UpstreamLatency: [30, 30, 30, 30, 30], BreakerOpened: [1], ProbesGranted: [1, 1, 1], BreakerClosed: [1] })

    const lines = breakwaterLogs()
    expect(lines.filter((l) => l.message === 'breakwater breaker transition').map((l) => pick(l, ['target', 'from', 'to', 'opens'])))
      .toEqual([
        { target: `${HAIKU}@us-east-1`, from: 'closed', to: 'open', opens: 1 },
        { target: `${HAIKU}@us-east-1`, from: 'open', to: 'half-open', opens: 1 },
        { target: `${HAIKU}@us-east-1`, from: 'half-open', to: 'closed', opens: 0 },
      ])
    expect(lines.filter((l) => l.message === 'breakwater probe granted').map((l) => l.stage)).toEqual([0, 1, 1])
    expect(lines.find((l) => l.outcome === 'skipped-open')).toMatchObject({ route: 'solo', region: 'us-east-1', attempt: 1, latencyMs: 0 })
  })

  it('a deadline skip emits DeadlineSkips and no latency for the call not made', async () => {
    upstream({ latencyMs: 150, fail: throttled })
    const context = { ...lambdaContext(), getRemainingTimeInMillis: () => 1_500 }
    const reply = await invoke(app(preset({ backoff: { throttleBaseMs: 400, reserveMs: 300, minAttemptMs: 1_000 } }), 'solo'), context)
    expect(reply).toMatchObject({ ok: false, statusCode: 503, errorType: 'AllTargetsFailedError' })
    // 1 500 − 300 reserve − 150 spent = 1 050 left < 200 wait + 1 000 minimum attempt: the retry is skipped.
    // The retry is not counted: Retries counts retries made, and this one never was.
    expect(metricValues()).toEqual({ UpstreamLatency: [150], DeadlineSkips: [1], DegradedResponses: [1] })
    expect(breakwaterLogs().map((l) => [l.message, l.attempt, l.outcome, l.waitMs])).toEqual([
      ['breakwater attempt failed', 1, 'throttled', 0],
      ['breakwater attempt failed', 2, 'skipped-deadline', 0],
      ['breakwater deadline skip: not enough time left for another attempt', undefined, undefined, undefined],
      ['breakwater replied with a failure', undefined, undefined, undefined],
    ])
  })

  it('Retries counts retries made, not retries planned and then skipped for the deadline', async () => {
    upstream({ latencyMs: 150, fail: throttled })
    const context = { ...lambdaContext(), getRemainingTimeInMillis: () => 1_500 }
    await invoke(app(preset({ backoff: { throttleBaseMs: 400, reserveMs: 300, minAttemptMs: 1_000 } }), 'solo'), context)
    expect(metricValues().Retries).toBeUndefined()
  })
})

describe('the prompt never reaches a log line', () => {
  it('through fallback, retries, a deadline skip and a degraded reply', async () => {
    upstream(
      { region: 'us-east-1', latencyMs: 10, fail: down },
      { region: 'us-west-2', latencyMs: 10, fail: throttled },
      { region: 'us-west-2', latencyMs: 10 },
    )
    await invoke(app(preset()))
    upstream({ latencyMs: 10, fail: throttled })
    await invoke(app(preset({ backoff: { minAttemptMs: 1_000 } }), 'solo'), { ...lambdaContext(), getRemainingTimeInMillis: () => 1_400 })
    expect(breakwaterLogs().length).toBeGreaterThanOrEqual(7)
    expect(printed.join('')).not.toContain(MARKER)
  })

  // The validator's message becomes MalformedOutputError.message (it is the re-ask's reason), so it may quote the
  // reply: gracefulDegradation logs only the name of such a cause.
  it('even when the model echoes the prompt in a reply the validator rejects, quoting it', async () => {
    bedrock.on(ConverseCommand).resolves(answer(`Sure! Summarising ${MARKER}`))
    const validate = (text: string): void => { if (!text.startsWith('{')) throw new Error(`expected JSON, got: ${text}`) }
    const handler = middy(async (_event: unknown, context: Context) => (context as BreakwaterContext).bedrock.converse(
      { messages: [{ role: 'user', content: [{ text: `Summarise ${MARKER}` }] }] }, { route: 'solo', validate })).use(preset())
    expect(await clock.run(handler(directEvent(), lambdaContext()))).toMatchObject({ statusCode: 503 })
    expect(printed.join('')).not.toContain(MARKER)
  })
})
