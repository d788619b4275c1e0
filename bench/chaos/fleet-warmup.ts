/**
 * What the fleet runs before the clock starts, and what it asks the fake to answer: the warm-up requests and the
 * reply text per script step (plain, JSON, or the long streamed answer of the stream scenarios).
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { FakeBedrock, ReplyContext } from '../../tools/fake-bedrock/fake-bedrock.js'
import type { InstanceThread } from './instance-thread.js'
import type { ScriptStep } from './scenarios.js'
import { streamReply } from './stream-reply.js'
import type { Workload } from './types.js'

const EVENT_FILE = fileURLToPath(new URL('../../events/apigw-http.json', import.meta.url))
export const BASE_EVENT = JSON.parse(readFileSync(EVENT_FILE, 'utf8')) as Record<string, unknown>

export interface Slot { readonly id: number; readonly thread: InstanceThread; born?: number; died?: number }

/**
 * The fake's reply text for a step: plain text as usual, the long answer for a streaming workload, or for a JSON
 * workload `{"answer": ...}`, and prose instead with the step's `malformed` probability (seeded, per fleet).
 */
export function replyFor(workload: Workload, step: ScriptStep, random: () => number): ((c: ReplyContext) => string) | undefined {
  if (workload.stream) return streamReply
  if (!workload.json) return undefined
  const bad = step.malformed
  return (c) => (bad && c.model === bad.model && random() < bad.probability
    ? `Sure! Your order ${c.lastUserText.replace(/^.*order /, '').replace(/\?$/, '')} ships within two days.`
    : JSON.stringify({ answer: `echo: ${c.lastUserText} [${c.model}@${c.region}]` }))
}

/** Invocations each instance serves, against a healthy fake, before the clock starts. */
const WARM_UP_INVOCATIONS = 20

/**
 * Each instance serves a few healthy requests before the run, all instances at once. Every worker is a V8 isolate of
 * its own that compiles the SDK's and the strategy's code for itself; without this, the first seconds measure 80
 * cold isolates interpreting on two cores rather than the strategies. Its calls, events and DynamoDB requests are
 * left out of the results.
 */
export async function warmUp(all: readonly Slot[], server: FakeBedrock, workload: Workload, timeoutMs: number): Promise<void> {
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
      const { outcome } = await Promise.race([slot.thread.invoke(event, timeoutMs, `warm-up-${slot.id}-${i}`), stuck])
        .finally(() => clearTimeout(timer))
      // A stream under the warm-up's compile load may miss Breakwater's first-token limit and be served elsewhere: still an answer.
      const served = outcome === 'ok' || (workload.stream === true && outcome === 'degraded')
      if (!served) throw new Error(`chaos bench: instance ${slot.id} failed a healthy warm-up request (${outcome})`)
    }
  }))
}


/** Runs the works it is given one at a time, in the order given: the fleets boot and warm up one after another. */
export function oneAtATime(): <T>(work: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve()
  return <T>(work: () => Promise<T>): Promise<T> => {
    const run = tail.then(work, work)
    tail = run.catch(() => undefined)
    return run
  }
}

/** Resolves for every caller once `count` have arrived: the fleets start their clocks together, once all are warm. */
export function barrier(count: number): () => Promise<void> {
  let arrived = 0
  let open: () => void = () => undefined
  const opened = new Promise<void>((resolve) => { open = resolve })
  return () => {
    if (++arrived >= count) open()
    return opened
  }
}
