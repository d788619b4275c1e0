/** The stream after its first token: whole only with messageStop; cuts, stalls and errors are interruptions. */
import { describe, expect, it } from '@jest/globals'
import { StreamTally, isContent, type StreamEventLike } from '../../../src/core/stream/events.js'
import { Interruption, readStream, type StartedStream } from '../../../src/core/stream/reader.js'
import { FakeClock } from '../../support/fake-clock.js'

const delta = (text: string): StreamEventLike => ({ contentBlockDelta: { delta: { text } } })
const STOP: StreamEventLike = { messageStop: { stopReason: 'end_turn' } }
const META: StreamEventLike = { metadata: { usage: { outputTokens: 3 } } }

/** A stream fed by the test: `push` an event, `end()` it, `fail(e)`; abort rejects the pending read, like the SDK. */
function source(buffered: StreamEventLike[] = [{ messageStart: {} }, delta('a')], endOnAbort = false) {
  const queue: Array<IteratorResult<StreamEventLike> | Error> = []
  let wake: (() => void) | undefined
  let aborted: unknown
  const iterator: AsyncIterator<StreamEventLike> = {
    async next() {
      for (;;) {
        // The real SDK ends its iterator quietly when the request is aborted mid-stream; other sources throw.
        if (aborted !== undefined && endOnAbort) return { value: undefined, done: true }
        if (aborted !== undefined) throw Object.assign(new Error('Request aborted'), { name: 'AbortError', cause: aborted })
        const item = queue.shift()
        if (item instanceof Error) throw item
        if (item !== undefined) return item
        await new Promise<void>((resolve) => { wake = resolve })
      }
    },
  }
  const poke = (): void => { wake?.(); wake = undefined }
  const stream: StartedStream<StreamEventLike> = { buffered, iterator, abort: (reason) => { aborted ??= reason; poke() } }
  return {
    stream,
    push: (...events: StreamEventLike[]) => { for (const value of events) queue.push({ value, done: false }); poke() },
    end: () => { queue.push({ value: undefined, done: true }); poke() },
    fail: (error: Error) => { queue.push(error); poke() },
    get aborted() { return aborted },
  }
}

/** Until the reader waits on its idle timer. */
async function parked(clock: FakeClock): Promise<void> {
  for (let i = 0; i < 100 && clock.pending === 0; i++) await new Promise((resolve) => setImmediate(resolve))
  expect(clock.pending).toBe(1)
}

async function collect(
  stream: StartedStream<StreamEventLike>, tally: StreamTally, clock: FakeClock, idleTimeoutMs = 1_000, signal?: AbortSignal,
) {
  const seen: StreamEventLike[] = []
  try {
    for await (const event of readStream(stream, tally, { clock, idleTimeoutMs, remainingMs: () => 60_000, signal })) seen.push(event)
    return { seen, error: undefined }
  } catch (error) {
    return { seen, error }
  }
}

describe('readStream', () => {
  it('passes every event on, buffered ones first, and is whole when it ends after messageStop', async () => {
    const s = source()
    const tally = new StreamTally()
    s.push(delta('b'), delta('c'), STOP, META)
    s.end()
    const { seen, error } = await collect(s.stream, tally, new FakeClock())
    expect(error).toBeUndefined()
    expect(seen).toHaveLength(6)
    expect(tally).toMatchObject({ text: 'abc', stopped: true, stopReason: 'end_turn', usage: { outputTokens: 3 } })
    expect(isContent(delta('x'))).toBe(true)
    expect(isContent(STOP)).toBe(false)
  })

  it('a stream that ends without messageStop is cut, never complete', async () => {
    const s = source()
    const tally = new StreamTally()
    s.push(delta('b'))
    s.end()
    const { seen, error } = await collect(s.stream, tally, new FakeClock())
    expect(error).toBeInstanceOf(Interruption)
    expect((error as Interruption).kind).toBe('cut')
    expect(seen).toHaveLength(3)
    expect(tally.text).toBe('ab')
  })

  it('a silence past idleTimeoutMs aborts the request and is a stall', async () => {
    const clock = new FakeClock()
    const s = source()
    const pending = collect(s.stream, new StreamTally(), clock, 500)
    await parked(clock)
    await clock.advance(499)
    expect(s.aborted).toBeUndefined()
    await clock.advance(1)
    const { error } = await pending
    expect((error as Interruption).kind).toBe('stall')
    expect(s.aborted).toBeInstanceOf(Error)
  })

  it('a stall is a stall even when the aborted iterator just ends (as the SDK\'s does), and so is the caller\'s abort', async () => {
    const clock = new FakeClock()
    const s = source(undefined, true)
    const pending = collect(s.stream, new StreamTally(), clock, 500)
    await parked(clock)
    await clock.advance(500)
    expect(((await pending).error as Interruption).kind).toBe('stall')

    const quiet = source(undefined, true)
    const controller = new AbortController()
    const stopped = collect(quiet.stream, new StreamTally(), new FakeClock(), 1_000, controller.signal)
    const reason = new Error('Middy timed out')
    controller.abort(reason)
    expect((await stopped).error).toBe(reason)
  })

  it('events reset the idle limit', async () => {
    const clock = new FakeClock()
    const s = source()
    const pending = collect(s.stream, new StreamTally(), clock, 500)
    for (let i = 0; i < 4; i++) {
      await parked(clock)
      await clock.advance(400)
      s.push(delta('x'))
      await clock.advance(0)
    }
    s.push(STOP)
    s.end()
    expect((await pending).error).toBeUndefined()
  })

  it('an error mid-way is an interruption with the upstream error as cause', async () => {
    const s = source()
    const upstream = Object.assign(new Error('throttled'), { name: 'ThrottlingException' })
    s.fail(upstream)
    const { error } = await collect(s.stream, new StreamTally(), new FakeClock())
    expect(error).toMatchObject({ kind: 'error', cause: upstream })
  })

  it("the caller's abort ends it with the caller's reason, not as an interruption", async () => {
    const s = source()
    const controller = new AbortController()
    const pending = collect(s.stream, new StreamTally(), new FakeClock(), 1_000, controller.signal)
    const reason = new Error('Middy timed out')
    controller.abort(reason)
    expect((await pending).error).toBe(reason)
  })

  it('a consumer that stops reading early aborts the request', async () => {
    const s = source()
    s.push(delta('b'), delta('c'))
    const limits = { clock: new FakeClock(), idleTimeoutMs: 1_000, remainingMs: () => 60_000 }
    for await (const event of readStream(s.stream, new StreamTally(), limits)) {
      if (event.contentBlockDelta?.delta?.text === 'b') break
    }
    expect(s.aborted).toBeInstanceOf(Error)
  })
})
