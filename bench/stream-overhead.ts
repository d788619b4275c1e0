/**
 * `npm run bench:stream-overhead [-- --calls 300 --events 2000]`
 *
 * What Breakwater adds to a streamed call, as ratios measured in one run (never asserted):
 * - time to first token: the raw SDK (`send(ConverseStreamCommand)`, iterate to the first delta) against the preset's
 *   `converseStream` (which resolves at the first token), both over HTTP/2 to the in-process fake Bedrock;
 * - per event while streaming: iterating a long in-process stream (a client whose `send` returns a canned async
 *   iterable at once) raw vs through the reply's reader (idle limit, tally, messageStop check).
 */
import {
  BedrockRuntimeClient, ConverseStreamCommand, type ConverseStreamCommandInput, type ConverseStreamOutput,
} from '@aws-sdk/client-bedrock-runtime'
import middy from '@middy/core'
import type { Context } from 'aws-lambda'
import { parseArgs } from 'node:util'
import { breakwater, type BreakwaterContext } from '../src/index.js'
import { FAKE_CREDENTIALS, fakeClientConfig, testClient } from '../tools/fake-bedrock/bedrock-client.js'
import { FakeBedrock } from '../tools/fake-bedrock/fake-bedrock.js'
import { lambdaContext } from '../tools/lambda-context.js'

const { values } = parseArgs({ options: { calls: { type: 'string' }, events: { type: 'string' } } })
const calls = Number(values.calls ?? 300)
const eventsPerStream = Number(values.events ?? 2_000)
const MODEL = 'anthropic.claude-3-haiku-20240307-v1:0'
const input = { messages: [{ role: 'user' as const, content: [{ text: 'tell me a long story about rivers' }] }] }
const context: Context = { ...lambdaContext({ timeoutMs: 60_000, requestId: 'bench' }), getRemainingTimeInMillis: () => 60_000 }

const median = (xs: number[]): number => Float64Array.from(xs).sort()[Math.floor(xs.length / 2)] ?? NaN
const fmt = (n: number, unit: string): string => `${n.toFixed(n < 10 ? 2 : 1)} ${unit}`

async function timeToFirstToken(server: FakeBedrock): Promise<{ raw: number; breakwater: number }> {
  const raw: number[] = []
  const through: number[] = []
  const client = testClient(server, 'us-east-1')
  let firstAt = 0
  const handler = middy(async (_event: unknown, ctx: BreakwaterContext) => {
    const reply = await ctx.bedrock.converseStream(input)
    firstAt = performance.now()
    for await (const _e of reply) { /* drain */ }
  }).use(breakwater({
    routes: { default: [`${MODEL}@us-east-1`] }, client: { clientConfig: fakeClientConfig(server) }, degradation: false,
  }))
  for (let i = 0; i < calls + 20; i++) {
    const start = performance.now()
    const out = await client.send(new ConverseStreamCommand({ ...input, modelId: MODEL } as ConverseStreamCommandInput))
    let first = 0
    for await (const e of out.stream ?? []) if (first === 0 && e.contentBlockDelta !== undefined) first = performance.now()
    if (i >= 20) raw.push(first - start)
    const started = performance.now()
    await handler({}, context as BreakwaterContext)
    if (i >= 20) through.push(firstAt - started)
  }
  client.destroy()
  return { raw: median(raw), breakwater: median(through) }
}

function canned(n: number): ConverseStreamOutput[] {
  const events: ConverseStreamOutput[] = [{ messageStart: { role: 'assistant' } }]
  for (let i = 0; i < n; i++) events.push({ contentBlockDelta: { contentBlockIndex: 0, delta: { text: 'word ' } } })
  events.push({ contentBlockStop: { contentBlockIndex: 0 } }, { messageStop: { stopReason: 'end_turn' } })
  return events
}

async function perEvent(): Promise<{ raw: number; breakwater: number }> {
  const events = canned(eventsPerStream)
  const stream = async function* (): AsyncGenerator<ConverseStreamOutput> { for (const e of events) yield e }
  const client = new BedrockRuntimeClient({ region: 'us-east-1', maxAttempts: 1, credentials: FAKE_CREDENTIALS })
  Object.assign(client, { send: async () => ({ stream: stream(), $metadata: {} }) })
  const handler = middy(async (_event: unknown, ctx: BreakwaterContext) => {
    const reply = await ctx.bedrock.converseStream(input)
    for await (const _e of reply) { /* count */ }
  }).use(breakwater({ routes: { default: [`${MODEL}@us-east-1`] }, client: { factory: () => client }, degradation: false }))
  const raw: number[] = []
  const through: number[] = []
  for (let i = 0; i < 60; i++) {
    let start = performance.now()
    for await (const _e of stream()) { /* count */ }
    if (i >= 10) raw.push(((performance.now() - start) * 1_000) / events.length)
    start = performance.now()
    await handler({}, context as BreakwaterContext)
    if (i >= 10) through.push(((performance.now() - start) * 1_000) / events.length)
  }
  return { raw: median(raw), breakwater: median(through) }
}

const server = await FakeBedrock.start()
try {
  const ttft = await timeToFirstToken(server)
  const events = await perEvent()
  const line = (label: string, raw: string, ours: string, added: string): string =>
    `${label.padEnd(22)}raw ${raw.padStart(9)}   Breakwater ${ours.padStart(9)}   added ${added} median`
  console.log(`Streaming overhead, node ${process.version}: ${calls} calls over HTTP/2 to the fake; ${eventsPerStream}-event streams`)
  console.log(line('time to first token', fmt(ttft.raw, 'ms'), fmt(ttft.breakwater, 'ms'), fmt(ttft.breakwater - ttft.raw, 'ms')))
  console.log(line('per event', fmt(events.raw, 'µs'), fmt(events.breakwater, 'µs'), fmt(events.breakwater - events.raw, 'µs')))
} finally {
  await server.stop()
}
