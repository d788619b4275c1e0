/** A streamed reply across interruptions: restart, continue (with a prefill fallback), fail, and no target left. */
import { describe, expect, it } from '@jest/globals'
import { CallerFaultError } from '../../../src/core/errors.js'
import type { CascadeResult } from '../../../src/core/invoker/types.js'
import { StreamInterruptedError } from '../../../src/core/stream/errors.js'
import type { StreamEventLike } from '../../../src/core/stream/events.js'
import type { StartedStream } from '../../../src/core/stream/reader.js'
import { StreamReply, type InterruptionPolicy, type StreamReplyDeps } from '../../../src/core/stream/reply.js'
import type { Target } from '../../../src/core/target.js'
import { FakeClock } from '../../support/fake-clock.js'

type Input = { readonly messages: readonly string[] }
const EAST: Target = { model: 'm', region: 'us-east-1' }
const WEST: Target = { model: 'm', region: 'us-west-2' }
const delta = (text: string): StreamEventLike => ({ contentBlockDelta: { delta: { text } } })
const stop = (stopReason: string): StreamEventLike => ({ messageStop: { stopReason } })

/**
 * A finished stream from `events`: the first is buffered (the gate), the rest read; `whole` ends with messageStop
 * (stopping with `stopReason`), then `metadata` when given.
 */
function started(
  texts: string[], whole: boolean, stopReason = 'end_turn', metadata?: StreamEventLike['metadata'],
): StartedStream<StreamEventLike> {
  const end = whole ? [stop(stopReason)] : []
  if (whole && metadata !== undefined) end.push({ metadata })
  const rest = [...texts.slice(1).map(delta), ...end]
  let aborted = false
  return {
    buffered: [delta(texts[0] as string)],
    iterator: {
      next: async () => {
        const value = aborted ? undefined : rest.shift()
        return value === undefined ? { value: undefined, done: true } : { value, done: false }
      },
    },
    abort: () => { aborted = true },
  }
}

const result = (target: Target, stream: StartedStream<StreamEventLike>): CascadeResult<StartedStream<StreamEventLike>> => ({
  output: stream,
  served: { route: 'default', model: target.model, region: target.region, attempts: 1, degraded: false, degradations: [] },
  attempts: [{ target, attempt: 1, outcome: 'success', latencyMs: 120, waitMs: 0 }],
})

/** `plan[i]` answers the i-th start: a result, or an error to throw. */
function deps(policy: InterruptionPolicy, plan: Array<CascadeResult<StartedStream<StreamEventLike>> | Error>) {
  const starts: Array<{ input: Input; skip: string[] }> = []
  const interruptions: string[] = []
  const interventions: string[] = []
  const downgrades: string[] = []
  const d: StreamReplyDeps<Input, StreamEventLike> = {
    start: async (input, skip) => {
      starts.push({ input, skip: [...skip] })
      const next = plan.shift()
      if (next === undefined) throw new Error('no plan left')
      if (next instanceof Error) throw next
      return next
    },
    prefill: (input, partial) => ({ messages: [...input.messages, `assistant:${partial}`] }),
    interrupted: (target, kind) => interruptions.push(`${target.region}:${kind}`),
    intervened: (target, intervention) => interventions.push(`${target.region}:${intervention}`),
    downgraded: (target, tier) => downgrades.push(`${target.region}:${tier.serviceTier ?? ''}:${tier.latency ?? ''}`),
    truncate: (i) => (i.messages.length > 1 ? { messages: i.messages.slice(-1) } : undefined),
    maxTruncations: 3,
    policy,
    clock: new FakeClock(),
    idleTimeoutMs: 1_000,
    remainingMs: () => 60_000,
    keyOf: (t) => `${t.model}@${t.region}`,
  }
  return { d, starts, interruptions, interventions, downgrades }
}

async function read(reply: StreamReply<Input, StreamEventLike>) {
  const seen: string[] = []
  for await (const event of reply) {
    if ('breakwaterRestart' in event) seen.push('RESTART')
    else if (event.contentBlockDelta?.delta?.text !== undefined) seen.push(event.contentBlockDelta.delta.text)
  }
  return seen
}

const input: Input = { messages: ['user:hi'] }

describe('StreamReply', () => {
  it('a whole stream: every token, then the final text, stop reason and time to first token', async () => {
    const { d } = deps('restart', [result(EAST, started(['He', 'llo'], true))])
    const reply = await StreamReply.open(d, input)
    expect(await read(reply)).toEqual(['He', 'llo'])
    expect(reply.final()).toMatchObject({ text: 'Hello', stopReason: 'end_turn', served: { region: 'us-east-1', timeToFirstTokenMs: 120 } })
  })

  it('restart: a cut stream is followed by a restart event and the next target\'s whole answer', async () => {
    const plan = [result(EAST, started(['Hel'], false)), result(WEST, started(['Hi', '!'], true))]
    const { d, starts, interruptions } = deps('restart', plan)
    const reply = await StreamReply.open(d, input)
    expect(await read(reply)).toEqual(['Hel', 'RESTART', 'Hi', '!'])
    expect(starts[1]).toEqual({ input, skip: ['m@us-east-1'] })
    expect(interruptions).toEqual(['us-east-1:cut'])
    expect(reply.final()).toMatchObject({ text: 'Hi!', served: { region: 'us-west-2', degraded: 'fallback-target' } })
  })

  it('continue: the next target is asked to go on from the partial answer; the text runs on without a restart', async () => {
    const { d, starts } = deps('continue', [result(EAST, started(['Hel'], false)), result(WEST, started(['lo'], true))])
    const reply = await StreamReply.open(d, input)
    expect(await read(reply)).toEqual(['Hel', 'lo'])
    expect(starts[1]?.input).toEqual({ messages: ['user:hi', 'assistant:Hel'] })
    expect(reply.final().text).toBe('Hello')
  })

  it('continue, but the target rejects the prefill: asked again from the start, as a restart', async () => {
    const rejected = new CallerFaultError(
      'The model rejected the request as invalid. (ValidationException)', { source: 'breakwater/invoker', statusCode: 400 })
    const { d, starts } = deps('continue', [result(EAST, started(['Hel'], false)), rejected, result(WEST, started(['Hello'], true))])
    const reply = await StreamReply.open(d, input)
    expect(await read(reply)).toEqual(['Hel', 'RESTART', 'Hello'])
    expect(starts.map((s) => s.input)).toEqual([input, { messages: ['user:hi', 'assistant:Hel'] }, input])
  })

  it('fail: a typed error with the partial text and where it was served', async () => {
    const { d, starts } = deps('fail', [result(EAST, started(['Hel'], false))])
    const reply = await StreamReply.open(d, input)
    const error = await read(reply).then(() => undefined, (e: unknown) => e)
    expect(error).toBeInstanceOf(StreamInterruptedError)
    expect(error).toMatchObject({ kind: 'cut', partialText: 'Hel', served: { region: 'us-east-1' } })
    expect(starts).toHaveLength(1)
  })

  it('no target left to take over: the interruption is the error, never a truncated answer', async () => {
    const { d } = deps('restart', [result(EAST, started(['Hel'], false)), new Error('AllTargetsFailedError')])
    const reply = await StreamReply.open(d, input)
    const error = await read(reply).then(() => undefined, (e: unknown) => e)
    expect(error).toMatchObject({ name: 'StreamInterruptedError', kind: 'cut', partialText: 'Hel' })
    expect(() => reply.final()).toThrow(/not ended/)
  })

  it('a guardrail\'s whole stream is flagged in served when it ends, and heard', async () => {
    const { d, starts, interventions } = deps('restart', [result(EAST, started(['Sorry', '.'], true, 'guardrail_intervened'))])
    const reply = await StreamReply.open(d, input)
    expect(await read(reply)).toEqual(['Sorry', '.'])
    expect(reply.final()).toMatchObject({ stopReason: 'guardrail_intervened', served: { region: 'us-east-1', intervened: 'guardrail' } })
    expect(reply.served.intervened).toBe('guardrail')
    expect(interventions).toEqual(['us-east-1:guardrail'])
    expect(starts).toHaveLength(1)
  })

  it('model_context_window_exceeded: restarted with a shorter history from the top of the cascade', async () => {
    const long: Input = { messages: ['user:a', 'assistant:b', 'user:c'] }
    const plan = [result(EAST, started(['Lo', 'ng'], true, 'model_context_window_exceeded')), result(EAST, started(['Ok'], true))]
    const { d, starts, interruptions } = deps('continue', plan)
    const reply = await StreamReply.open(d, long)
    expect(await read(reply)).toEqual(['Lo', 'ng', 'RESTART', 'Ok'])
    expect(starts[1]).toEqual({ input: { messages: ['user:c'] }, skip: [] })
    expect(interruptions).toEqual(['us-east-1:context-overflow'])
    expect(reply.final()).toMatchObject({ text: 'Ok', served: { region: 'us-east-1', degraded: 'truncated-context' } })
  })

  it('model_context_window_exceeded with no shorter history: a 413', async () => {
    const { d, starts } = deps('restart', [result(EAST, started(['Lo'], true, 'model_context_window_exceeded'))])
    const reply = await StreamReply.open(d, input)
    await expect(read(reply)).rejects.toMatchObject({ name: 'ContextOverflowError', statusCode: 413 })
    expect(starts).toHaveLength(1)
  })

  it('malformed_tool_use: the next target restarts the answer', async () => {
    const plan = [result(EAST, started(['{'], true, 'malformed_tool_use')), result(WEST, started(['Hi'], true))]
    const { d, starts, interruptions } = deps('restart', plan)
    const reply = await StreamReply.open(d, input)
    expect(await read(reply)).toEqual(['{', 'RESTART', 'Hi'])
    expect(starts[1]).toEqual({ input, skip: ['m@us-east-1'] })
    expect(interruptions).toEqual(['us-east-1:malformed-output'])
  })
})

describe('StreamReply: the tier that served, from the metadata event', () => {
  const PRIORITY: Target = { ...EAST, serviceTier: 'priority' }
  const served = (tier: string, latency?: string): StreamEventLike['metadata'] =>
    ({ usage: { outputTokens: 2 }, serviceTier: { type: tier }, performanceConfig: latency === undefined ? undefined : { latency } })

  it('a silent downgrade (asked priority, served default) is told in served once the stream ends, and heard once', async () => {
    const { d, downgrades } = deps('restart', [result(PRIORITY, started(['He', 'llo'], true, 'end_turn', served('default')))])
    const reply = await StreamReply.open(d, input)
    // Before the end nothing is known: the tier arrives in the last event.
    expect(reply.served).toMatchObject({ degraded: false, degradations: [] })
    expect(reply.served.serviceTier).toBeUndefined()
    await read(reply)
    expect(reply.final().served).toMatchObject({ degraded: 'downgraded-tier', degradations: ['downgraded-tier'], serviceTier: 'default' })
    expect(downgrades).toEqual(['us-east-1:default:'])
  })

  it('served as asked: the tier is told, nothing degraded, nothing heard', async () => {
    const { d, downgrades } = deps('restart', [result(PRIORITY, started(['Hi'], true, 'end_turn', served('priority')))])
    const reply = await StreamReply.open(d, input)
    await read(reply)
    expect(reply.final().served).toMatchObject({ degraded: false, degradations: [], serviceTier: 'priority' })
    expect(downgrades).toEqual([])
  })

  it('optimized latency served standard is a downgrade; a field the target did not ask for is not read', async () => {
    const optimized: Target = { ...EAST, latency: 'optimized' }
    const { d, downgrades } = deps('restart', [result(optimized, started(['Hi'], true, 'end_turn', served('flex', 'standard')))])
    const reply = await StreamReply.open(d, input)
    await read(reply)
    const final = reply.final().served
    expect(final).toMatchObject({ degraded: 'downgraded-tier', latency: 'standard' })
    expect(final.serviceTier).toBeUndefined()
    expect(downgrades).toEqual(['us-east-1::standard'])
  })

  it('after a restart: the target that finished the answer is judged, and the fallback stays the most telling degradation', async () => {
    const WEST_PRIORITY: Target = { ...WEST, serviceTier: 'priority' }
    const plan = [result(PRIORITY, started(['Hel'], false)), result(WEST_PRIORITY, started(['Hi'], true, 'end_turn', served('flex')))]
    const { d, downgrades } = deps('restart', plan)
    const reply = await StreamReply.open(d, input)
    await read(reply)
    expect(reply.final().served).toMatchObject({
      region: 'us-west-2', degraded: 'fallback-target', degradations: ['fallback-target', 'downgraded-tier'], serviceTier: 'flex',
    })
    expect(downgrades).toEqual(['us-west-2:flex:'])
  })

  it('a target that asked for no tier: an echoed one is neither told nor a downgrade', async () => {
    const { d, downgrades } = deps('restart', [result(EAST, started(['Hi'], true, 'end_turn', served('flex')))])
    const reply = await StreamReply.open(d, input)
    await read(reply)
    expect(reply.final().served).toMatchObject({ degraded: false })
    expect(reply.final().served.serviceTier).toBeUndefined()
    expect(downgrades).toEqual([])
  })
})
