/**
 * One strategy's fleet through one scenario, in real time. Every instance is a worker thread of its own
 * (`instance-worker.ts`); `instances` of them (Lambda's concurrency limit) are started and initialised before the
 * first arrival, like provisioned concurrency, so cold starts stay out of the latencies. Open-loop arrivals go to the
 * most recently used free instance (an instance runs one invocation at a time); with none free the request is
 * throttled. An invocation still running at the Lambda timeout is an overrun: its thread is terminated, as Lambda
 * discards a sandbox after a timeout, and a fresh one is started (cold) when a request next finds no free instance.
 * The fake Bedrock, the fault script and the DynamoDB switch live in the parent thread.
 */
import { FakeBedrock, seededRandom } from '../../tools/fake-bedrock/fake-bedrock.js'
import { lastUserText } from '../../tools/fake-bedrock/fake-bedrock-wire.js'
import { startSwitchableProxy } from '../support/switchable-proxy.js'
import { InstanceThread } from './instance-thread.js'
import { BASE_EVENT, replyFor, warmUp, type Slot } from './fleet-warmup.js'
import type { ChaosScenario, ScriptStep } from './scenarios.js'
import { DYNAMODB_STRATEGIES } from './types.js'
import type {
  Arrival, BreakerTransition, DynamoCounts, FleetStrategy, InstanceConfig, InvocationResult, ProbeGrant, RequestRecord, StrategyRun,
  UpstreamCall,
} from './types.js'


const sleepUntil = (start: number, atMs: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, Math.max(0, start + atMs - Date.now())))

export interface FleetOptions {
  readonly instances: number
  readonly timeoutMs: number
  readonly halfOpenAfterMs: number
  readonly dynamo: InstanceConfig['dynamo']
  /**
   * Boots and warms the fleet through this (run.ts: one fleet at a time, as 100 cold isolates at once on two cores
   * missed the warm-up's deadline), then waits at `ready` until every fleet is warm, so all start their clocks together.
   */
  readonly prepare?: <T>(work: () => Promise<T>) => Promise<T>
  readonly ready?: () => Promise<void>
  /** For `breakwater-b`: the options it adds. */
  readonly variant?: InstanceConfig['variant']
}


export async function runFleet(
  strategy: FleetStrategy,
  scenario: ChaosScenario,
  load: readonly Arrival[],
  o: FleetOptions,
): Promise<StrategyRun> {
  const server = await FakeBedrock.start()
  // Only the shared breakers (Breakwater's, dynamodb-lww) talk to DynamoDB; the table sits behind a switch the script can turn off.
  const dynamoPort = Number(new URL(String(o.dynamo.clientConfig.endpoint)).port)
  const proxy = DYNAMODB_STRATEGIES.has(strategy) ? await startSwitchableProxy(dynamoPort) : undefined
  const transitions: BreakerTransition[] = []
  const probes: ProbeGrant[] = []
  let start = 0
  const workload = scenario.workload ?? {}
  const clientConfig = { ...o.dynamo.clientConfig }
  if (proxy) clientConfig.endpoint = proxy.endpoint
  const config: InstanceConfig = {
    bedrockEndpoint: server.endpoint, timeoutMs: o.timeoutMs, halfOpenAfterMs: o.halfOpenAfterMs, workload,
    dynamo: { ...o.dynamo, clientConfig },
    variant: o.variant,
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
  const replyRandom = seededRandom(4242)
  const prepare = o.prepare ?? ((work) => work())
  await prepare(async () => {
    for (let i = 0; i < o.instances; i++) spawn()
    await Promise.all(all.map((s) => s.thread.ready))
    await warmUp(all, server, workload, o.timeoutMs)
  })
  await o.ready?.()
  const baseline = new Map(all.map((s) => [s.id, s.thread.dynamo]))
  const idle = [...all].reverse()
  let live = all.length

  start = Date.now()
  const apply = (step: ScriptStep): void => {
    server.plan(step.rules).quotas(step.quotas ?? [])
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
    const deadline = new Promise<InvocationResult>((resolve) => { timer = setTimeout(() => resolve({ outcome: 'overrun' }), o.timeoutMs) })
    const result = await Promise.race([slot.thread.invoke(event, o.timeoutMs, `${strategy}-${arrival.id}`), deadline])
    clearTimeout(timer)
    record.latencyMs = Date.now() - began
    const { outcome } = result
    record.outcome = outcome
    if (result.ttftMs !== undefined) record.ttftMs = result.ttftMs
    if (result.truncated !== undefined) record.truncated = result.truncated
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
