/**
 * `npm run bench:overhead [-- --iterations 20000 --warmup 2000]`
 *
 * What Breakwater costs per invocation when nothing goes wrong: the sample chat handler with the preset against the
 * same handler written bare (middy + `client.send(new ConverseCommand(...))`), both calling one zero-latency
 * in-process Bedrock client (a real BedrockRuntimeClient whose `send` resolves a canned reply at once), breaker
 * closed. The difference is Breakwater's own work: routing, breaker admission and outcome recording, deadline and
 * attempt-signal setup, the reply wrapping. Prints numbers; asserts nothing.
 *
 * The npm script bundles this file with esbuild first (packages external, as the layer ships them) and runs plain
 * JavaScript: under tsx every closure would pay for its keep-names wrapper, which no deployed function does.
 */
import { BedrockRuntimeClient, ConverseCommand, type ConverseCommandOutput } from '@aws-sdk/client-bedrock-runtime'
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware'
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware'
import middy from '@middy/core'
import type { Context } from 'aws-lambda'
import { readFileSync } from 'node:fs'
import { GCProfiler, getHeapStatistics } from 'node:v8'
import { parseArgs } from 'node:util'
import { FAKE_CREDENTIALS } from '../tools/fake-bedrock/bedrock-client.js'
import { createHandler, SYSTEM_PROMPT } from '../examples/chat/chat-handler.js'
import { httpBody, httpOk, parseChatRequest, toMessages } from '../examples/chat/chat-request.js'
import { PRIMARY_MODEL, ROUTES } from '../tools/fake-bedrock/scenarios.js'
import { lambdaContext } from '../tools/lambda-context.js'
import { SinkLogger, SinkMetrics } from './support/powertools-sinks.js'

type Invoke = (event: unknown, context: Context) => Promise<unknown>

const CANNED: ConverseCommandOutput = {
  output: { message: { role: 'assistant', content: [{ text: 'You can change the address until the order ships.' }] } },
  stopReason: 'end_turn',
  usage: { inputTokens: 120, outputTokens: 14, totalTokens: 134 },
  metrics: { latencyMs: 0 },
  $metadata: { httpStatusCode: 200 },
}

/** One client per region, shared by every variant, answering at once without touching the network. */
const clients = new Map<string, BedrockRuntimeClient>()
function instantClient(region: string): BedrockRuntimeClient {
  let client = clients.get(region)
  if (!client) {
    client = new BedrockRuntimeClient({ region, maxAttempts: 1, credentials: FAKE_CREDENTIALS })
    Object.assign(client, { send: async (_command: unknown, _options?: unknown) => CANNED })
    clients.set(region, client)
  }
  return client
}

const quietLogger = (): SinkLogger => new SinkLogger(() => undefined, { serviceName: 'chat', logLevel: 'WARN' })
const quietMetrics = (logger: SinkLogger): SinkMetrics =>
  new SinkMetrics(() => undefined, { namespace: 'Breakwater', serviceName: 'chat', logger })

/** The same chat handler without Breakwater: what a user has before adopting it. */
function bareHandler(powertools: boolean): Invoke {
  const client = instantClient('us-east-1')
  const handler = middy<unknown, unknown, Error, Context>()
  if (powertools) {
    const logger = quietLogger()
    handler.use(injectLambdaContext(logger)).use(logMetrics(quietMetrics(logger)))
  }
  return handler.handler(async (event, _context, { signal }) => {
    const request = parseChatRequest(httpBody(event as { body?: string | null }))
    const out = await client.send(new ConverseCommand({
      modelId: PRIMARY_MODEL,
      system: [{ text: SYSTEM_PROMPT }],
      messages: toMessages(request),
      inferenceConfig: { maxTokens: 1024, temperature: 0.3 },
    }), { abortSignal: signal })
    const reply = (out.output?.message?.content ?? []).map((b) => b.text ?? '').join('')
    return httpOk({ reply, model: PRIMARY_MODEL, region: 'us-east-1', degraded: false })
  })
}

function presetHandler(powertools: boolean): Invoke {
  const logger = powertools ? quietLogger() : undefined
  const observability = logger ? { logger, metrics: quietMetrics(logger) } : {}
  return createHandler({ routes: ROUTES, client: { factory: instantClient }, ...observability })
}

interface Variant { readonly key: string; readonly label: string; readonly invoke: Invoke; samples: number[] }

const { values } = parseArgs({
  options: {
    iterations: { type: 'string' }, warmup: { type: 'string' }, rounds: { type: 'string' },
    // `--only <key> --invocations N`: run one variant N times, untimed, and exit (bench/instructions.ts counts them).
    only: { type: 'string' }, invocations: { type: 'string' },
  },
})
const iterations = Number(values.iterations ?? 20_000)
const warmup = Number(values.warmup ?? 2_000)
const rounds = Number(values.rounds ?? 10)
const event: unknown = JSON.parse(readFileSync(new URL('../events/apigw-http.json', import.meta.url), 'utf8'))
// A fixed 10 s left: the context is reused, and a countdown would run out part-way through the bench.
const context: Context = { ...lambdaContext({ timeoutMs: 10_000, requestId: 'bench' }), getRemainingTimeInMillis: () => 10_000 }

const variants: Variant[] = [
  { key: 'bare', label: 'bare middy + client.send', invoke: bareHandler(false), samples: [] },
  { key: 'preset', label: 'preset, no Logger/Metrics', invoke: presetHandler(false), samples: [] },
  { key: 'bare-powertools', label: 'bare middy + Powertools Logger/Metrics', invoke: bareHandler(true), samples: [] },
  { key: 'preset-powertools', label: 'preset + Powertools Logger (WARN)/Metrics', invoke: presetHandler(true), samples: [] },
]

if (values.only !== undefined) {
  const only = variants.find((v) => v.key === values.only)
  if (only === undefined) throw new Error(`--only: one of ${variants.map((v) => v.key).join(', ')}`)
  for (let i = 0, n = Number(values.invocations ?? 10_000); i < n; i++) await only.invoke(event, context)
  process.exit(0)
}

for (const v of variants) {
  const result = await v.invoke(event, context) as { statusCode?: number }
  if (result.statusCode !== 200) throw new Error(`bench setup: "${v.label}" answered ${JSON.stringify(result)}`)
  for (let i = 0; i < warmup; i++) await v.invoke(event, context)
}
// Interleaved rounds, so JIT tiering, GC and CPU frequency drift hit every variant alike.
const perRound = Math.ceil(iterations / rounds)
for (let r = 0; r < rounds; r++) {
  for (const v of variants) {
    for (let i = 0; i < perRound; i++) {
      const start = process.hrtime.bigint()
      await v.invoke(event, context)
      v.samples.push(Number(process.hrtime.bigint() - start) / 1_000)
    }
  }
}

/**
 * Bytes allocated per invocation: what the heap grew by over `n` invocations plus what every GC in between freed
 * (V8's GCProfiler reports the used heap before and after each one), divided by `n`. Approximate (a GC also frees
 * what earlier code left), so it is read as a difference between variants measured the same way.
 */
async function bytesPerInvocation(invoke: Invoke, n: number): Promise<number> {
  const profiler = new GCProfiler()
  profiler.start()
  const before = getHeapStatistics().used_heap_size
  for (let i = 0; i < n; i++) await invoke(event, context)
  const after = getHeapStatistics().used_heap_size
  const gcs = profiler.stop().statistics
  const freed = gcs.reduce((sum, gc) => sum + gc.beforeGC.heapStatistics.usedHeapSize - gc.afterGC.heapStatistics.usedHeapSize, 0)
  return (after - before + freed) / n
}
const allocations = new Map<Variant, number>()
for (const v of variants) allocations.set(v, await bytesPerInvocation(v.invoke, 20_000))

const stats = (samples: number[]): { median: number; p99: number; mean: number } => {
  const sorted = Float64Array.from(samples).sort()
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN
  return { median: at(0.5), p99: at(0.99), mean: samples.reduce((a, b) => a + b, 0) / samples.length }
}
const us = (n: number): string => `${n.toFixed(1)} µs`.padStart(10)
type Stats = ReturnType<typeof stats>
const [bare, preset, barePt, presetPt] = variants.map((v) => stats(v.samples)) as [Stats, Stats, Stats, Stats]

console.log('Breakwater overhead per invocation: zero-latency in-process Bedrock client, breaker closed, events/apigw-http.json')
console.log(`node ${process.version}, ${perRound * rounds} timed invocations per variant`
  + ` (${rounds} interleaved rounds) after ${warmup} warm-up\n`)
console.log(`${'variant'.padEnd(44)}${'median'.padStart(10)}${'p99'.padStart(10)}${'mean'.padStart(10)}${'alloc/inv'.padStart(12)}`)
variants.forEach((v, i) => {
  const s = [bare, preset, barePt, presetPt][i] as Stats
  const alloc = `${((allocations.get(v) ?? NaN) / 1024).toFixed(1)} KiB`.padStart(12)
  console.log(`${v.label.padEnd(44)}${us(s.median)}${us(s.p99)}${us(s.mean)}${alloc}`)
})
const ratio = (a: number, b: number): string => `${(a / b).toFixed(2)}×`
const delta = (a: number, b: number): string => `${a - b >= 0 ? '+' : ''}${(a - b).toFixed(1)} µs`
console.log('\nBreakwater\'s own cost (preset − bare):')
const cost = (a: Stats, b: Stats): string =>
  `median ${delta(a.median, b.median)} (${ratio(a.median, b.median)}), p99 ${delta(a.p99, b.p99)} (${ratio(a.p99, b.p99)})`
console.log(`  without Powertools: ${cost(preset, bare)}`)
console.log(`  with Powertools:    ${cost(presetPt, barePt)}`)
const kib = (v: Variant): number => (allocations.get(v) ?? NaN) / 1024
const allocated = (v: number, base: number): string => (kib(variants[v] as Variant) - kib(variants[base] as Variant)).toFixed(1)
console.log(`  allocation: +${allocated(1, 0)} KiB per invocation without Powertools, +${allocated(3, 2)} KiB with`)
console.log(`  preset + Powertools vs bare middy: median ${ratio(presetPt.median, bare.median)}, p99 ${ratio(presetPt.p99, bare.p99)}`)
console.log('\nA real Bedrock call takes hundreds of ms: these µs are the whole price of the protection on the happy path.')
