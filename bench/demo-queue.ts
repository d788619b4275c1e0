/**
 * `npm run demo -- queue-when-open`: the queue path told as it happens. Every region of the fake Bedrock answers
 * 503 for a while; requests to the chat route are accepted (202 with a status URL) and queued instead of answered
 * 503; the worker finds the breaker open and sets each record to come back when it reopens; when Bedrock returns,
 * the probe ramp lets the records through and each answer appears at its status URL. Real SQS (fauxqs), DynamoDB
 * Local and the fake Bedrock over HTTP/2, on 127.0.0.1 (bench/queue/rig.ts).
 */
import { readFileSync } from 'node:fs'
import { FakeBedrock } from '../tools/fake-bedrock/fake-bedrock.js'
import { startDynamoDB } from '../tools/dynamodb-local/dynamodb.js'
import { lambdaContext } from '../tools/lambda-context.js'
import { startQueueRig } from './queue/rig.js'
import { SinkLogger } from './support/powertools-sinks.js'
import { shortModel } from './demo-story.js'

const shortTarget = (key: string): string => {
  const at = key.lastIndexOf('@')
  return at < 0 ? key : `${shortModel(key.slice(0, at))}@${key.slice(at + 1)}`
}

export const QUEUE_DEMOS: ReadonlySet<string> = new Set(['queue-when-open'])
export const queueDemoList = (): string =>
  '  queue-when-open          every region down 15 s: requests accepted (202) and queued, answered at their status URL after recovery'

export interface QueueDemoOptions {
  readonly out?: { write(text: string): unknown }
  /** How long every region answers 503, ms. Default 15 000. */
  readonly outageMs?: number
  /** Requests sent during the outage. Default 3. */
  readonly requests?: number
  readonly eventFile?: string
}

export interface QueueDemoResult {
  /** Each request's first reply's status code (202 when queued). */
  readonly accepted: readonly number[]
  /** Each request's last status at its status URL. */
  readonly final: readonly { readonly status: string; readonly result?: unknown }[]
  readonly dlq: number
  /** Bedrock calls that answered 200. */
  readonly answered: number
}

type Reply = { statusCode: number; headers?: Record<string, string>; body: string }
type Outcome = { status: string; result?: unknown }
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms))

export async function runQueueDemo(options: QueueDemoOptions = {}): Promise<QueueDemoResult> {
  const { outageMs = 15_000, requests = 3, eventFile = new URL('../events/apigw-http.json', import.meta.url) } = options
  let t0 = Date.now()
  const write = (line = ''): void => { (options.out ?? process.stdout).write(`${line}\n`) }
  const at = (): string => `${((Date.now() - t0) / 1000).toFixed(1).padStart(5)} s`
  const event = JSON.parse(readFileSync(eventFile, 'utf8')) as Record<string, unknown>
  const logger = new SinkLogger((entry) => {
    if (entry.message !== 'breakwater breaker transition') return
    write(`${at()}  breaker ${shortTarget(String(entry.target))} → ${String(entry.to)}`)
  }, { serviceName: 'queue-demo', logLevel: 'INFO' })

  const bedrock = await FakeBedrock.start()
  const dynamo = await startDynamoDB()
  const rig = await startQueueRig({
    bedrock, dynamo, maximumConcurrency: 1, stack: { logger },
    observe: {
      onInvoke: (n) => write(`${at()}  worker: invoked with ${n} record${n === 1 ? '' : 's'}`),
      onRedeliver: (s) => write(`${at()}  worker: not now (every target open) — the record comes back in ${s} s`),
      onRequeue: (id, s) => write(`${at()}  worker: ${id.slice(0, 8)} received 3 times — requeued as a fresh copy, due in ${s} s`),
    },
  })
  t0 = Date.now()
  write(`Breakwater demo — queue-when-open: every region answers 503 for ${outageMs / 1000} s; ${requests} requests arrive during it`)
  write('route: haiku@us-east-1 → haiku@us-west-2; the worker (MaximumConcurrency 1) shares the breaker table')
  write()
  bedrock.plan([{ kind: 'unavailable' }])
  const recover = setTimeout(() => {
    bedrock.plan([])
    write(`${at()}  Bedrock is back`)
  }, outageMs)
  rig.mapping.start()
  const ids: string[] = []
  const accepted: number[] = []
  const final: { status: string; result?: unknown }[] = []
  try {
    for (let i = 0; i < requests; i++) {
      const body = JSON.stringify({ prompt: `Question ${i + 1}: what is a circuit breaker?` })
      const context = lambdaContext({ timeoutMs: 10_000, requestId: `demo-${i}` })
      const reply = (await rig.front({ ...structuredClone(event), body }, context)) as Reply
      accepted.push(reply.statusCode)
      const parsed = JSON.parse(reply.body) as { requestId?: string }
      write(`${at()}  POST /chat → ${reply.statusCode}${reply.headers?.location ? ` Location: ${reply.headers.location}` : ''}`)
      if (parsed.requestId !== undefined) ids.push(parsed.requestId)
      await pause(500)
    }
    const seen = new Map<string, string>()
    while (Date.now() - t0 < outageMs + 30_000 && [...seen.values()].filter((s) => s === 'done').length < ids.length) {
      await pause(500)
      for (const id of ids) {
        const { status } = JSON.parse((await rig.status({ pathParameters: { id } })).body) as { status: string }
        if (seen.get(id) !== status) write(`${at()}  GET /requests/${id.slice(0, 8)}… → ${status}`)
        seen.set(id, status)
      }
    }
    for (const id of ids) final.push(JSON.parse((await rig.status({ pathParameters: { id } })).body) as Outcome)
  } finally {
    clearTimeout(recover)
    await rig.mapping.stop()
  }
  const { dlq } = await rig.depth()
  const answered = bedrock.calls.filter((c) => c.status === 200).length
  const first = final[0]?.result as { reply?: string; region?: string } | undefined
  if (first?.reply !== undefined) write(`        first answer (${first.region ?? '?'}): ${JSON.stringify(first.reply.slice(0, 60))}…`)
  write()
  write(`Bedrock: ${bedrock.calls.length} calls, ${answered} answered (one per request); DLQ: ${dlq} messages`)
  await rig.stop()
  await dynamo.stop()
  await bedrock.stop()
  return { accepted, final, dlq, answered }
}
