/**
 * `npm run bench:queue [-- full-outage demand-spike] [--requests 200] [--outage 60] [--strategies queue,plain,sync]`
 *
 * The asynchronous path under the two failures it is for, in real time, every part on a real wire (rig.ts):
 *
 * - **full-outage**: every region answers 503 for `--outage` s; `--requests` arrive over its first two thirds;
 * - **demand-spike**: `--requests` arrive in 20 s against quotas that admit 4 requests/s in all (2 per region).
 *
 * Strategies: `queue` (acceptAndQueue + queueWorker: redelivery timed to the breaker), `plain` (the same front and
 * idempotent worker, but a failed record is a batch item failure, back after SQS's default 30 s visibility timeout,
 * to the DLQ after 5 receives), and `sync` (no queue: the chat function answers 503 + Retry-After).
 *
 * Reported per strategy: requests served / refused (503) / unserved at the end (on the queue or in the DLQ), the
 * Bedrock calls that answered more than once for one request (paid twice), the time from the provider's recovery
 * (the spike's end) to the last result, and Bedrock, SQS, DynamoDB and S3 requests per request.
 */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import type { Context } from 'aws-lambda'
import { createHandler } from '../../examples/chat/chat-handler.js'
import { fakeClientConfig } from '../../tools/fake-bedrock/bedrock-client.js'
import { FakeBedrock } from '../../tools/fake-bedrock/fake-bedrock.js'
import { startDynamoDB, type TestDynamoDB } from '../../tools/dynamodb-local/dynamodb.js'
import { lambdaContext } from '../../tools/lambda-context.js'
import { COUNTER, counter, startQueueRig, type QueueRig, type RequestCounts } from './rig.js'

export type QueueStrategy = 'queue' | 'plain' | 'sync'
export type QueueScenario = 'full-outage' | 'demand-spike'
const STRATEGIES: readonly QueueStrategy[] = ['queue', 'plain', 'sync']
const SCENARIOS: readonly QueueScenario[] = ['full-outage', 'demand-spike']
const PRIMARY = 'anthropic.claude-3-5-haiku-20241022-v1:0'
const ROUTE = { default: [`${PRIMARY}@us-east-1`, `${PRIMARY}@us-west-2`] }
const SPIKE_S = 20
/** How long after the recovery the bench waits for the last result. */
const TAIL_S = 90

export interface QueueRun {
  readonly scenario: QueueScenario
  readonly strategy: QueueStrategy
  readonly requests: number
  readonly served: number
  readonly refused: number
  readonly unserved: number
  readonly dlq: number
  readonly paidTwice: number
  /** s from the recovery (the spike's end) to the last result; undefined when nothing was served after it. */
  readonly recoveryToLastS: number | undefined
  readonly perRequest: { readonly bedrock: number; readonly sqs: number; readonly dynamodb: number; readonly s3: number }
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms))
const total = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0)
const HTTP_EVENT = JSON.parse(readFileSync(new URL('../../events/apigw-http.json', import.meta.url), 'utf8')) as Record<string, unknown>
const httpEvent = (i: number) => ({ ...structuredClone(HTTP_EVENT), body: JSON.stringify({ prompt: `question #${i}` }) })
type Reply = { statusCode: number; body: string }
type Handler = (event: unknown, context: Context) => Promise<unknown>
const noCounts = (): RequestCounts => ({ sqs: new Map(), dynamodb: new Map(), s3: new Map() })

/** The sync path: the chat function alone, its breaker table's requests counted. */
async function syncFront(bedrock: FakeBedrock, dynamo: TestDynamoDB, counts: RequestCounts): Promise<Handler> {
  const table = dynamo.client()
  table.middlewareStack.add(counter(counts.dynamodb), COUNTER)
  const breaker = { tableName: await dynamo.newTable(), dynamodb: { client: table } }
  const handler = createHandler({ routes: ROUTE, client: { clientConfig: fakeClientConfig(bedrock) }, backoff: { baseMs: 20 }, breaker })
  return (event, context) => handler(event, context)
}

/** SQS requests but the mapping's empty polls: every other operation, plus the receives that returned messages. */
function sqsRequests(counts: RequestCounts, rig: QueueRig | undefined): number {
  return total(counts.sqs) - (counts.sqs.get('ReceiveMessage') ?? 0) + (rig?.mapping.stats.invocations ?? 0)
}

export interface QueueBenchOptions { readonly requests: number; readonly outageS: number; readonly detail?: (line: string) => void }

export async function runQueueBench(scenario: QueueScenario, strategy: QueueStrategy, o: QueueBenchOptions): Promise<QueueRun> {
  const bedrock = await FakeBedrock.start()
  const dynamo = await startDynamoDB()
  const rig = strategy === 'sync' ? undefined
    : await startQueueRig({ bedrock, dynamo, worker: strategy === 'plain' ? 'plain' : 'breakwater', route: ROUTE })
  const counts = rig?.counts ?? noCounts()
  const handle: Handler = rig?.front ?? await syncFront(bedrock, dynamo, counts)

  const arrivalsMs = scenario === 'full-outage' ? (o.outageS * 1000 * 2) / 3 : SPIKE_S * 1000
  const recoveryAtMs = scenario === 'full-outage' ? o.outageS * 1000 : SPIKE_S * 1000
  if (scenario === 'full-outage') bedrock.plan([{ kind: 'unavailable' }])
  else bedrock.quotas([{ requestsPerMinute: 120, burstSeconds: 2 }])
  const t0 = Date.now()
  const recover = scenario === 'full-outage' ? setTimeout(() => bedrock.plan([]), recoveryAtMs) : undefined
  rig?.mapping.start()
  let served = 0
  let refused = 0
  let lastAt: number | undefined
  let pending: string[] = []
  try {
    const replies = await Promise.all(Array.from({ length: o.requests }, async (_, i) => {
      await pause((i * arrivalsMs) / o.requests)
      return (await handle(httpEvent(i), lambdaContext({ timeoutMs: 10_000, requestId: `front-${i}` }))) as Reply
    }))
    for (const r of replies) {
      if (r.statusCode === 200) {
        served++
        lastAt = Date.now()
      } else if (r.statusCode === 202) pending.push((JSON.parse(r.body) as { requestId: string }).requestId)
      else refused++
    }
    const read = async (id: string): Promise<string> =>
      (JSON.parse((await (rig as QueueRig).status({ pathParameters: { id } })).body) as { status: string }).status
    while (rig && pending.length > 0 && Date.now() - t0 < recoveryAtMs + TAIL_S * 1000) {
      await pause(250)
      const outcomes = await Promise.all(pending.map(read))
      const done = outcomes.filter((x) => x === 'done').length
      if (done > 0) lastAt = Date.now()
      served += done
      pending = pending.filter((_, i) => outcomes[i] !== 'done')
    }
  } finally {
    clearTimeout(recover)
    await rig?.mapping.stop()
  }
  const depth = rig ? await rig.depth() : { queue: 0, dlq: 0 }
  const answered = bedrock.calls.filter((c) => c.status === 200)
  const ops = Object.entries(counts).map(([service, m]) => `${service} ${[...m].map(([op, n]) => `${op} ${n}`).join(', ') || '–'}`)
  o.detail?.(`${strategy}: ${ops.join('; ')}; receives that returned messages ${rig?.mapping.stats.invocations ?? 0}`)
  const run: QueueRun = {
    scenario, strategy, requests: o.requests, served, refused, unserved: pending.length, dlq: depth.dlq,
    paidTwice: answered.length - new Set(answered.map((c) => JSON.stringify(c.body))).size,
    recoveryToLastS: lastAt !== undefined && lastAt - t0 > recoveryAtMs ? (lastAt - t0 - recoveryAtMs) / 1000 : undefined,
    perRequest: {
      bedrock: bedrock.calls.length / o.requests, sqs: sqsRequests(counts, rig) / o.requests,
      dynamodb: total(counts.dynamodb) / o.requests, s3: total(counts.s3) / o.requests,
    },
  }
  await rig?.stop()
  await dynamo.stop()
  await bedrock.stop()
  return run
}

const COLUMNS = [
  'strategy', 'served', 'refused (503)', 'unserved at end', 'in DLQ', 'paid twice', 'recovery → last result',
  'Bedrock / req', 'SQS / req', 'DynamoDB / req', 'S3 / req',
]
const f2 = (x: number) => x.toFixed(2)
export const table = (runs: readonly QueueRun[]): string => [
  `| ${COLUMNS.join(' | ')} |`, `|${' --- |'.repeat(COLUMNS.length)}`,
  ...runs.map((r) => `| ${[
    r.strategy, r.served, r.refused, r.unserved, r.dlq, r.paidTwice,
    r.recoveryToLastS === undefined ? '–' : `${r.recoveryToLastS.toFixed(1)} s`,
    f2(r.perRequest.bedrock), f2(r.perRequest.sqs), f2(r.perRequest.dynamodb), f2(r.perRequest.s3),
  ].join(' | ')} |`),
].join('\n')

const oneOf = <T extends string>(known: readonly T[], what: string) => (given: string): T => {
  if (!(known as readonly string[]).includes(given)) throw new Error(`unknown ${what} ${given} (known: ${known.join(', ')})`)
  return given as T
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      requests: { type: 'string', default: '200' }, outage: { type: 'string', default: '60' },
      strategies: { type: 'string' }, detail: { type: 'boolean' },
    },
  })
  const scenarios = (positionals.length > 0 ? positionals : SCENARIOS).map(oneOf(SCENARIOS, 'scenario'))
  const strategies = (values.strategies?.split(',') ?? STRATEGIES).map(oneOf(STRATEGIES, 'strategy'))
  const o = { requests: Number(values.requests), outageS: Number(values.outage) }
  if (!Number.isInteger(o.requests) || o.requests < 1 || !(o.outageS > 0)) {
    throw new Error('--requests must be a positive integer, --outage positive')
  }
  const details: string[] = []
  const detail = values.detail ? (line: string) => details.push(line) : undefined
  for (const scenario of scenarios) {
    const what = scenario === 'full-outage' ? `every region 503 for ${o.outageS} s` : `arriving in ${SPIKE_S} s over quotas of 4 req/s`
    const runs: QueueRun[] = []
    for (const strategy of strategies) runs.push(await runQueueBench(scenario, strategy, { ...o, detail }))
    process.stdout.write(`\n#### ${scenario} — ${what}; ${o.requests} requests\n\n${table(runs)}\n`)
    for (const line of details.splice(0)) process.stdout.write(`\n${line}\n`)
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) await main()
