/**
 * One strategy's fleet through one scenario, in real time: open-loop arrivals are dispatched to a free instance (an
 * instance runs one invocation at a time); when none is free a new one is started, up to `instances` (Lambda's
 * concurrency limit), beyond which the request is throttled. An invocation still running at the Lambda timeout is an
 * overrun, and its instance is thrown away, as Lambda restarts a sandbox after a timeout.
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { FakeBedrock, seededRandom, type ReplyContext } from '../../test/support/fake-bedrock.js'
import { lastUserText } from '../../test/support/fake-bedrock-wire.js'
import { lambdaContext } from '../support/lambda-context.js'
import { cockatiel, naive, textbook } from './baselines.js'
import { breakwaterInstance } from './breakwater-strategy.js'
import { PRIMARY_MODEL, PRIMARY_REGION, type ChaosScenario, type ScriptStep } from './scenarios.js'
import type {
  Arrival, BreakerTransition, ChaosInstance, Outcome, RequestRecord, StrategyEnv, StrategyName, StrategyRun, Turn, UpstreamCall, Workload,
} from './types.js'

const FACTORIES: Record<StrategyName, (env: StrategyEnv, id: number) => ChaosInstance> = {
  naive, textbook, cockatiel, breakwater: breakwaterInstance,
}

const EVENT_FILE = fileURLToPath(new URL('../../events/apigw-http.json', import.meta.url))
const BASE_EVENT = JSON.parse(readFileSync(EVENT_FILE, 'utf8')) as Record<string, unknown>

export interface FleetOptions {
  readonly instances: number
  readonly timeoutMs: number
  readonly halfOpenAfterMs: number
  readonly dynamo: StrategyEnv['dynamo']
}

/** A prior conversation of `turns` messages, alternating user / assistant, starting with the user. */
function historyOf(id: number, turns: number): Turn[] {
  return Array.from({ length: turns }, (_, i): Turn => (i % 2 === 0
    ? { role: 'user', content: `earlier question ${i / 2 + 1} about order A-${1000 + id}: when does it ship, and can I change the address?` }
    : { role: 'assistant', content: 'It ships within two days; the address can be changed until it does. '.repeat(3) }))
}

/**
 * Open-loop Poisson arrivals at `rate` per second, from a seeded source: identical for every strategy. Which arrivals
 * carry a long history is rolled per id from its own seed, so the arrival times do not depend on the workload.
 */
export function arrivals(rate: number, durationS: number, random: () => number, workload: Workload = {}): Arrival[] {
  const out: Arrival[] = []
  for (let t = -Math.log(1 - random()) / rate * 1000; t < durationS * 1000; t += -Math.log(1 - random()) / rate * 1000) {
    const id = out.length + 1
    const long = (workload.longShare ?? 0) > 0 && seededRandom(id * 7919)() < (workload.longShare ?? 0)
    out.push({
      id, atMs: t, prompt: `chaos request #${id}: where is my order A-${1000 + id}?`,
      ...(long && { history: historyOf(id, workload.historyTurns ?? 12) }),
    })
  }
  return out
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

function classify(result: unknown): Outcome {
  const r = result as { statusCode?: number; body?: string } | undefined
  if (r?.statusCode !== 200) return 'graceful'
  const body = JSON.parse(r.body ?? '{}') as { model?: string; region?: string; degraded?: unknown }
  return body.degraded || body.model !== PRIMARY_MODEL || body.region !== PRIMARY_REGION ? 'degraded' : 'ok'
}

const sleepUntil = (start: number, atMs: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, Math.max(0, start + atMs - Date.now())))

export async function runFleet(strategy: StrategyName, scenario: ChaosScenario, load: readonly Arrival[], o: FleetOptions): Promise<StrategyRun> {
  const server = await FakeBedrock.start()
  const transitions: BreakerTransition[] = []
  const start = Date.now()
  const workload = scenario.workload ?? {}
  const env: StrategyEnv = {
    server, timeoutMs: o.timeoutMs, halfOpenAfterMs: o.halfOpenAfterMs, dynamo: o.dynamo, workload,
    onBreaker: (t) => transitions.push({ ...t, atMs: Date.now() - start }),
  }
  const replyRandom = seededRandom(4242)
  const apply = (step: ScriptStep): void => {
    server.plan(step.rules)
    const reply = replyFor(workload, step, replyRandom)
    if (reply) server.replyWith(reply)
  }
  apply(scenario.script[0] as ScriptStep)
  const timers = scenario.script.slice(1).map((step) => setTimeout(() => apply(step), Math.max(0, step.atS * 1000)))
  const idle: { id: number; instance: ChaosInstance }[] = []
  const all: { instance: ChaosInstance; born: number; died?: number }[] = []
  let live = 0
  const requests: RequestRecord[] = []
  const pending: Promise<void>[] = []

  const invoke = async (arrival: Arrival): Promise<void> => {
    const record: RequestRecord = { id: arrival.id, atMs: arrival.atMs, latencyMs: 0, outcome: 'throttled', instance: -1 }
    requests.push(record)
    let slot = idle.pop()
    if (!slot) {
      if (live >= o.instances) return
      live++
      all.push({ instance: FACTORIES[strategy](env, all.length), born: Date.now() })
      slot = { id: all.length - 1, instance: (all[all.length - 1] as { instance: ChaosInstance }).instance }
    }
    record.instance = slot.id
    const event = { ...BASE_EVENT, body: JSON.stringify({ prompt: arrival.prompt, ...(arrival.history && { history: arrival.history }) }) }
    const context = lambdaContext({ timeoutMs: o.timeoutMs, requestId: `${strategy}-${arrival.id}` })
    const began = Date.now()
    let timer: NodeJS.Timeout | undefined
    const deadline = new Promise<'overrun'>((resolve) => { timer = setTimeout(() => resolve('overrun'), o.timeoutMs) })
    const outcome = await Promise.race([
      slot.instance.handle(event, context).then(classify, (): Outcome => 'raw-error'),
      deadline,
    ])
    clearTimeout(timer)
    record.latencyMs = Date.now() - began
    record.outcome = outcome
    if (outcome === 'overrun') {
      // The sandbox is gone; the instance's in-flight work is abandoned with it.
      live--
      const dead = all[slot.id]
      if (dead) dead.died = Date.now()
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

  const calls: UpstreamCall[] = server.calls.map((c) => ({
    atMs: c.startedAt - start,
    requestId: Number(/#(\d+)/.exec(lastUserText(c.body))?.[1] ?? 0),
    target: `${c.model}@${c.region}`,
    status: c.status === undefined ? c.outcome : String(c.status),
  }))
  const dynamo = { reads: 0, writes: 0 }
  for (const { instance } of all) {
    dynamo.reads += instance.dynamo?.reads ?? 0
    dynamo.writes += instance.dynamo?.writes ?? 0
    instance.close()
  }
  await server.stop()
  const instanceSeconds = all.reduce((sum, i) => sum + ((i.died ?? end) - i.born) / 1000, 0)
  requests.sort((a, b) => a.id - b.id)
  return { strategy, requests, calls, transitions, instanceSeconds, instances: all.length, dynamo }
}
