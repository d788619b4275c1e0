/**
 * `npm run demo -- stream-<scenario>`: a streamed answer through the Breakwater preset against the fake Bedrock's
 * event stream, told as it happens — each token with its time, the fault, the restart or continuation on the next
 * target, and where the whole answer came from (or the typed error with `interrupted: 'fail'`).
 */
import middy from '@middy/core'
import type { Context } from 'aws-lambda'
import { breakwater, type BreakwaterContext, type ConverseStreamOptions, type InterruptionPolicy } from '../src/index.js'
import { fakeClientConfig } from '../tools/fake-bedrock/bedrock-client.js'
import { FakeBedrock, type FaultRule } from '../tools/fake-bedrock/fake-bedrock.js'
import { PRIMARY_MODEL, ROUTES } from '../tools/fake-bedrock/scenarios.js'
import { lambdaContext } from '../tools/lambda-context.js'
import { shortModel } from './demo-story.js'

interface StreamScenario {
  readonly summary: string
  readonly plan: readonly FaultRule[]
  readonly interrupted?: InterruptionPolicy
}

const PACE = { eventDelayMs: 15 } as const
export const STREAM_SCENARIOS: ReadonlyMap<string, StreamScenario> = new Map<string, StreamScenario>([
  ['stream-healthy', { summary: 'every region streams whole answers', plan: [{ kind: 'paced', ...PACE }] }],
  ['stream-slow-first-token', {
    summary: 'us-east-1 takes 3 s to its first token; the first-token limit (1 s) moves on before the caller sees anything',
    plan: [{ kind: 'slow-first-token', region: 'us-east-1', model: PRIMARY_MODEL, firstTokenDelayMs: 3_000 }, { kind: 'paced', ...PACE }],
  }],
  ['stream-stall', {
    summary: 'us-east-1 goes silent after 6 events; the idle limit (1 s) restarts the answer in us-west-2',
    plan: [{ kind: 'stall', region: 'us-east-1', afterEvents: 6, ...PACE }, { kind: 'paced', ...PACE }],
  }],
  ['stream-cut', {
    summary: 'us-east-1 ends its stream after 6 events without messageStop (the SDK calls that a normal end)',
    plan: [{ kind: 'cut', region: 'us-east-1', afterEvents: 6, ...PACE }, { kind: 'paced', ...PACE }],
  }],
  ['stream-continue', {
    summary: 'the same cut, with interrupted: "continue": us-west-2 goes on from the partial answer',
    plan: [{ kind: 'cut', region: 'us-east-1', afterEvents: 6, ...PACE }, { kind: 'paced', ...PACE }],
    interrupted: 'continue',
  }],
  ['stream-fail', {
    summary: 'the same cut, with interrupted: "fail": a StreamInterruptedError with the partial text',
    plan: [{ kind: 'cut', region: 'us-east-1', afterEvents: 6, ...PACE }, { kind: 'paced', ...PACE }],
    interrupted: 'fail',
  }],
])

export function streamScenarioList(): string {
  const width = Math.max(...[...STREAM_SCENARIOS.keys()].map((n) => n.length))
  return [...STREAM_SCENARIOS].map(([name, s]) => `  ${name.padEnd(width)}  ${s.summary}`).join('\n')
}

export async function runStreamDemo(name: string, out: { write(text: string): unknown } = process.stdout): Promise<string> {
  const scenario = STREAM_SCENARIOS.get(name)
  if (scenario === undefined) throw new Error(`unknown stream scenario "${name}"`)
  const write = (line = ''): void => { out.write(`${line}\n`) }
  const server = await FakeBedrock.start()
  server.plan(scenario.plan)
  const started = Date.now()
  const ms = (): string => `${String(Date.now() - started).padStart(5)} ms`
  const handler = middy(async (_event: unknown, context: BreakwaterContext) => {
    const text = 'Can I still change the delivery address of my order?'
    const interrupted = scenario.interrupted ?? 'restart'
    const options: ConverseStreamOptions = { firstTokenTimeoutMs: 1_000, idleTimeoutMs: 1_000, interrupted }
    const reply = await context.bedrock.converseStream({ messages: [{ role: 'user', content: [{ text }] }] }, options)
    write(`${ms()}  first token from ${shortModel(reply.served.model)}@${reply.served.region} (${reply.served.timeToFirstTokenMs} ms)`)
    let line = ''
    for await (const event of reply) {
      if ('breakwaterRestart' in event) {
        write(`${ms()}  ${line}`)
        const { reason, discardedText } = event.breakwaterRestart
        write(`${ms()}  ✗ ${reason}: discard ${discardedText} chars, restart in ${reply.served.region}`)
        line = ''
      } else if (event.contentBlockDelta?.delta?.text !== undefined) line += event.contentBlockDelta.delta.text
    }
    const final = reply.final()
    write(`${ms()}  ${line}`)
    const where = `${shortModel(final.served.model)}@${final.served.region}`
    return `whole answer (${final.stopReason}) from ${where}, degraded: ${final.served.degraded}`
  }).use(breakwater({ routes: ROUTES, client: { clientConfig: fakeClientConfig(server) }, degradation: false }))

  write(`Breakwater demo — scenario "${name}": ${scenario.summary}`)
  try {
    const result = await handler({}, lambdaContext({ timeoutMs: 20_000, requestId: name }) as Context as BreakwaterContext)
    write(`→ ${result}`)
    return result
  } catch (error) {
    const e = error as { name?: string; kind?: string; partialText?: string }
    const partial = e.partialText === undefined ? '' : `, partial text: "${e.partialText}"`
    const told = `${e.name ?? 'Error'}${e.kind ? ` (${e.kind})` : ''}${partial}`
    write(`→ ${told}`)
    return told
  } finally {
    write(`upstream stream calls: ${server.calls.map((c) => `${c.region} ${c.outcome}`).join(', ')}`)
    await server.stop()
  }
}
