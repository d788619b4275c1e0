/**
 * One strategy's fleet through one scenario, in real time. Every instance is a worker thread of its own
 * (`instance-worker.ts`); `instances` of them (Lambda's concurrency limit) are started and initialised before the
 * first arrival, like provisioned concurrency, so cold starts stay out of the latencies. Open-loop arrivals go to the
 * most recently used free instance (an instance runs one invocation at a time); with none free the request is
 * throttled. An invocation still running at the Lambda timeout is an overrun: its thread is terminated, as Lambda
 * discards a sandbox after a timeout, and a fresh one is started (cold) when a request next finds no free instance.
 * The fake Bedrock, the fault script and the DynamoDB switch live in the parent thread.
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { FakeBedrock, seededRandom, type ReplyContext } from '../../tools/fake-bedrock/fake-bedrock.js'
import { lastUserText } from '../../tools/fake-bedrock/fake-bedrock-wire.js'
import { startSwitchableProxy } from '../support/switchable-proxy.js'
import { InstanceThread } from './instance-thread.js'
import type { ChaosScenario, ScriptStep } from './scenarios.js'
import type {
  Arrival, BreakerTransition, DynamoCounts, InstanceConfig, Outcome, ProbeGrant, RequestRecord, StrategyName, StrategyRun,
  UpstreamCall, Workload,
} from './types.js'

const EVENT_FILE = fileURLToPath(new URL('../../events/apigw-http.json', import.meta.url))
const BASE_EVENT = JSON.parse(readFileSync(EVENT_FILE, 'utf8')) as Record<string, unknown>

export interface FleetOptions {
  readonly instances: number
  readonly timeoutMs: number
  readonly halfOpenAfterMs: number
  readonly dynamo: InstanceConfig['dynamo']
}

/**
 * The fake's reply text for a step: plain text as usual, or for a JSON workload `{"answer": ...}`, and prose instead
 * with the step's `malformed` probability (seeded, per fleet).
 */
function replyFor(workload: Workload, step: ScriptStep, random: () => number): ((c: ReplyContext) => string) | undefined {
  if (!workload.json) return undefined
  const bad = step.malformed
  return (c) => (bad && c.model === bad.model && random() < bad.probability
    ? `Sure! Your order ${c.lastUserText.replace(/^.*order /, '').replace(/\?$/, '')} ships within two days.`
    : JSON.stringify({ answer: `echo: ${c.lastUserText} [${c.model}@${c.region}]` }))
}

const sleepUntil = (start: number, atMs: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, Math.max(0, start + atMs - Date.now())))

/** Invocations each instance serves, against a healthy fake, before the clock starts. */
const WARM_UP_INVOCATIONS = 20

/**
 * Each instance serves a few healthy requests before the run, all instances at once. Every worker is a V8 isolate of
 * its own that compiles the SDK's and the strategy's code for itself; without this, the first seconds measure 80
 * cold isolates interpreting on two cores rather than the strategies. Its calls, events and DynamoDB requests are
 * left out of the results.
 */
async function warmUp(all: readonly Slot[], server: FakeBedrock, workload: Workload, timeoutMs: number): Promise<void> {
  server.plan([])
  const reply = replyFor(workload, { atS: 0, rules: [], label: 'warm-up' }, () => 1)
  if (reply) server.replyWith(reply)
  const event = { ...BASE_EVENT, body: JSON.stringify({ prompt: 'warm-up: where is my order?' }) }
  await Promise.all(all.map(async (slot) => {
    for (let i = 0; i < WARM_UP_INVOCATIONS; i++) {
      let timer: NodeJS.Timeout | undefined
      const stuck = new Promise<never>((_, reject) => {
        const late = new Error(`chaos bench: instance ${slot.id} did not finish a warm-up request within ${timeoutMs} ms`)
        timer = setTimeout(() => reject(late), timeoutMs)
      })
      const outcome = await Promise.race([slot.thread.invoke(event, timeoutMs, `warm-up-${slot.id}-${i}`), stuck])
        .finally(() => clearTimeout(timer))
      if (outcome !== 'ok') throw new Error(`chaos bench: instance ${slot.id} failed a healthy warm-up request (${outcome})`)
    }
  }))
}

interface Slot { readonly id: number; readonly thread: InstanceThread; born?: number; died?: number }

export async function runFleet(
  strategy: StrategyName,
  scenario: ChaosScenario,
  load: readonly Arrival[],
  o: FleetOptions,
): Promise<StrategyRun> {
  const server = await FakeBedrock.start()
  // Only Breakwater talks to DynamoDB; its table sits behind a switch the script can turn off.
  const dynamoPort = Number(new URL(String(o.dynamo.clientConfig.endpoint)).port)
  const proxy = strategy === 'breakwater' ? await startSwitchableProxy(dynamoPort) : undefined
  const transitions: BreakerTransition[] = []
  const probes: ProbeGrant[] = []
  let start = 0
  const workload = scenario.workload ?? {}
  const clientConfig = { ...o.dynamo.clientConfig }
  if (proxy) clientConfig.endpoint = proxy.endpoint
  const config: InstanceConfig = {
    bedrockEndpoint: server.endpoint, timeoutMs: o.timeoutMs, halfOpenAfterMs: o.halfOpenAfterMs, workload,
    dynamo: { ...o.dynamo, clientConfig },
  }
  const events = {
    // Epoch ms until the run is over; made relative to its start (and warm-up's dropped) in `measured`.
    onBreaker: (t: Omit<BreakerTransition, 'atMs'>, at: number) => transitions.push({ ...t, atMs: at }),
    onProbe: (p: Omit<ProbeGrant, 'atMs'>, at: number) => probes.push({ ...p, atMs: at }),
  }
  const skew = scenario.clockSkewMs ?? 0
  const all: Slot[] = []
  const spawn = (): Slot => {
    const id = all.length
    const slot: Slot = { id, thread: new InstanceThread({ strategy, id, config, clockSkewMs: id % 2 === 0 ? skew : -skew }, events) }
    all.push(slot)
    return slot
  }
  for (let i = 0; i < o.instances; i++) spawn()
  await Promise.all(all.map((s) => s.thread.ready))
  const replyRandom = seededRandom(4242)
  await warmUp(all, server, workload, o.timeoutMs)
  const baseline = new Map(all.map((s) => [s.id, s.thread.dynamo]))
  const idle = [...all].reverse()
  let live = all.length

  start = Date.now()
  const apply = (step: ScriptStep): void => {
    server.plan(step.rules)
    const reply = replyFor(workload, step, replyRandom)
    if (reply) server.replyWith(reply)
  }
  apply(scenario.script[0] as ScriptStep)
  const timers = scenario.script.slice(1).map((step) => setTimeout(() => apply(step), Math.max(0, step.atS * 1000)))
  if (proxy && scenario.dynamodbDown) {
    const { fromS, toS } = scenario.dynamodbDown
    timers.push(setTimeout(() => proxy.down(), fromS * 1000), setTimeout(() => proxy.up(), toS * 1000))
  }
  const requests: RequestRecord[] = []
  const pending: Promise<void>[] = []

  const invoke = async (arrival: Arrival): Promise<void> => {
    const record: RequestRecord = { id: arrival.id, atMs: arrival.atMs, latencyMs: 0, outcome: 'throttled', instance: -1 }
    requests.push(record)
    const began = Date.now()
    let slot = idle.pop()
    if (!slot) {
      if (live >= o.instances) return
      live++
      slot = spawn()
      await slot.thread.ready // a cold start, in the request's latency
    }
    slot.born ??= Date.now()
    record.instance = slot.id
    const body: { prompt: string; history?: Arrival['history'] } = { prompt: arrival.prompt }
    if (arrival.history) body.history = arrival.history
    const event = { ...BASE_EVENT, body: JSON.stringify(body) }
    let timer: NodeJS.Timeout | undefined
    const deadline = new Promise<'overrun'>((resolve) => { timer = setTimeout(() => resolve('overrun'), o.timeoutMs) })
    const outcome: Outcome = await Promise.race([slot.thread.invoke(event, o.timeoutMs, `${strategy}-${arrival.id}`), deadline])
    clearTimeout(timer)
    record.latencyMs = Date.now() - began
    record.outcome = outcome
    if (outcome === 'overrun' || !slot.thread.alive) {
      live--
      slot.died = Date.now()
      void slot.thread.kill()
    } else {
      idle.push(slot)
    }
  }

  for (const arrival of load) {
    await sleepUntil(start, arrival.atMs)
    pending.push(invoke(arrival))
  }
  await Promise.all(pending)
  await sleepUntil(start, scenario.durationS * 1000)
  const end = Date.now()
  for (const t of timers) clearTimeout(t)

  const calls: UpstreamCall[] = server.calls.filter((c) => c.startedAt >= start).map((c) => ({
    atMs: c.startedAt - start,
    requestId: Number(/#(\d+)/.exec(lastUserText(c.body))?.[1] ?? 0),
    target: `${c.model}@${c.region}`,
    status: c.status === undefined ? c.outcome : String(c.status),
  }))
  const counts = await Promise.all(all.map((s) => (s.died === undefined ? s.thread.close() : Promise.resolve(s.thread.dynamo))))
  const zero: DynamoCounts = { reads: 0, writes: 0, storeErrors: 0 }
  const dynamo = counts.reduce((sum, c, i) => {
    const before = baseline.get(i) ?? zero
    return {
      reads: sum.reads + c.reads - before.reads,
      writes: sum.writes + c.writes - before.writes,
      storeErrors: sum.storeErrors + c.storeErrors - before.storeErrors,
    }
  }, zero)
  await Promise.all([server.stop(), proxy?.close()])
  // Messages arrive in the order they were posted, not in time order across threads; warm-up's are left out.
  const measured = <T extends { atMs: number }>(events: T[]): T[] =>
    events.filter((e) => e.atMs >= start).map((e) => ({ ...e, atMs: e.atMs - start })).sort((a, b) => a.atMs - b.atMs)
  const used = all.filter((s) => s.born !== undefined)
  const instanceSeconds = used.reduce((sum, s) => sum + ((s.died ?? end) - (s.born as number)) / 1000, 0)
  requests.sort((a, b) => a.id - b.id)
  return {
    strategy, requests, calls, transitions: measured(transitions), probes: measured(probes),
    instanceSeconds, instances: used.length, dynamo,
  }
}
