/**
 * The fake's ConverseStream in time, driven by the real SDK: stalls that keep the iterator waiting, slow first tokens,
 * pacing. Only lower bounds on time are checked (a loaded machine makes things later, never earlier).
 */
import { ConverseStreamCommand, type ConverseStreamOutput } from '@aws-sdk/client-bedrock-runtime'
import { testClient } from '../../tools/fake-bedrock/bedrock-client.js'
import { askStream, completeEvents, drain } from '../support/converse-stream.js'
import { useFakeBedrock } from '../support/fake-bedrock-fixture.js'

const bed = useFakeBedrock()
const PROMPT = 'one two three four'
const WORDS = 6
const PENDING = Symbol('pending')

/** What the promise settles to within `ms`, or PENDING. */
const within = <T>(p: Promise<T>, ms: number): Promise<T | typeof PENDING> =>
  Promise.race([p, new Promise<typeof PENDING>((r) => setTimeout(() => r(PENDING), ms))])

describe('stall', () => {
  it('yields its events, then keeps the iterator waiting; an abort then ends it silently, without an error', async () => {
    bed.server.plan([{ kind: 'stall', afterEvents: 2 }])
    const controller = new AbortController()
    const out = await bed.east.send(new ConverseStreamCommand(askStream(PROMPT)), { abortSignal: controller.signal })
    if (!out.stream) throw new Error('no stream')
    const events = out.stream[Symbol.asyncIterator]()
    expect(Object.keys((await events.next()).value as ConverseStreamOutput)).toEqual(['messageStart'])
    expect(Object.keys((await events.next()).value as ConverseStreamOutput)).toEqual(['contentBlockDelta'])
    const third = events.next()
    expect(await within(third, 150)).toBe(PENDING)
    expect(bed.server.calls[0]).toMatchObject({ outcome: 'pending', endedAt: undefined })
    controller.abort(new Error('idle timeout'))
    // The SDK's abort handler closes the HTTP/2 stream with NO_ERROR: the body just ends, so the iterator reports
    // `done` — indistinguishable from a complete stream unless the caller checks its own signal and for messageStop.
    await expect(third).resolves.toEqual({ done: true, value: undefined })
    await until(() => bed.server.calls[0]?.endedAt !== undefined)
    expect(bed.server.calls[0]).toMatchObject({ outcome: 'aborted', fault: 'stall', events: ['messageStart', 'contentBlockDelta'] })
  })

  it('AbortSignal.timeout ends a stalled iteration the same silent way', async () => {
    bed.server.plan([{ kind: 'stall', afterEvents: 3 }])
    // Long enough for the 200 to arrive first on a loaded machine (before it, the abort is an AbortError from `send`).
    const got = await drain(bed.east, askStream(PROMPT), AbortSignal.timeout(500))
    expect(got.error).toBeUndefined()
    expect(got.events).toEqual(['messageStart', 'contentBlockDelta', 'contentBlockDelta'])
  })

  it('stalled before any event: `send` waits (the SDK reads the first event first); an abort then resolves it, empty', async () => {
    bed.server.plan([{ kind: 'stall', afterEvents: 0 }])
    const client = testClient(bed.server, 'us-east-1')
    // Innermost in the deserialize step: resolves when the HTTP handler has the 200 and its headers, before the SDK
    // starts reading events — so the abort below comes after the headers however slow the machine is.
    let headersIn!: () => void
    const headers = new Promise<void>((resolve) => { headersIn = resolve })
    client.middlewareStack.add((next) => async (args) => {
      const out = await next(args)
      headersIn()
      return out
    }, { step: 'deserialize', priority: 'low' })
    const controller = new AbortController()
    const sent = drain(client, askStream(PROMPT), controller.signal)
    await headers
    expect(await within(sent, 100)).toBe(PENDING)
    controller.abort()
    const got = await sent
    client.destroy()
    // The 200 had arrived, so the handler's promise was settled: the abort only closes the body, the first read
    // finds it ended, and `send` resolves with a stream of nothing — no AbortError.
    expect(got).toMatchObject({ sent: true, events: [], error: undefined })
  })

  it('afterEvents past the end of the stream stalls after the last event', async () => {
    bed.server.plan([{ kind: 'stall', afterEvents: 99 }])
    const got = await drain(bed.east, askStream(PROMPT), AbortSignal.timeout(500))
    expect(got.events).toEqual(completeEvents(WORDS))
    await until(() => bed.server.calls[0]?.endedAt !== undefined)
    expect(bed.server.calls[0]?.outcome).toBe('aborted')
  })
})

describe('slow first token and pacing', () => {
  it('slow-first-token: messageStart comes at once (so `send` resolves), the first delta only after the delay', async () => {
    bed.server.plan([{ kind: 'slow-first-token', firstTokenDelayMs: 150 }])
    const started = Date.now()
    const out = await bed.east.send(new ConverseStreamCommand(askStream(PROMPT)))
    const sentAfter = Date.now() - started
    const seen: { event: string; at: number }[] = []
    for await (const event of out.stream ?? []) seen.push({ event: Object.keys(event)[0] ?? '', at: Date.now() - started })
    expect(seen.map((s) => s.event)).toEqual(completeEvents(WORDS))
    const firstDelta = seen.find((s) => s.event === 'contentBlockDelta')?.at ?? 0
    expect(firstDelta - sentAfter).toBeGreaterThanOrEqual(140)
    // Only the first token waits: five more deltas each delayed again would take 750 ms more.
    expect((seen.at(-1)?.at ?? 0) - firstDelta).toBeLessThan(600)
  })

  it('paced: eventDelayMs between events, and latencyMs in metadata shows the whole stream', async () => {
    bed.server.plan([{ kind: 'paced', eventDelayMs: 20 }])
    const started = Date.now()
    const got = await drain(bed.east, askStream(PROMPT))
    const took = Date.now() - started
    expect(got.error).toBeUndefined()
    expect(got.events).toEqual(completeEvents(WORDS))
    const gaps = completeEvents(WORDS).length - 1
    expect(took).toBeGreaterThanOrEqual(gaps * 20 - 5)
    expect(got.raw.at(-1)?.metadata?.metrics?.latencyMs).toBeGreaterThanOrEqual(gaps * 20 - 5)
  })

  it('delays combine with an early end: slow first token, then a cut', async () => {
    bed.server.plan([{ kind: 'cut', afterEvents: 2, firstTokenDelayMs: 100 }])
    const started = Date.now()
    const got = await drain(bed.east, askStream(PROMPT))
    expect(Date.now() - started).toBeGreaterThanOrEqual(95)
    expect(got.events).toEqual(['messageStart', 'contentBlockDelta'])
    expect(got.error).toBeUndefined()
  })
})

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5))
  expect(check()).toBe(true)
}
