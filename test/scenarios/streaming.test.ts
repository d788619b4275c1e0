/**
 * Issue 12's faults on the real wire: the real SDK decodes the fake Bedrock's event stream. For each, the caller gets
 * the complete answer (from the same or the next target) or a clean typed error, exactly one HTTP call per attempt,
 * and a healthy call afterwards succeeds on the same container. A truncated answer is never delivered as complete.
 */
import { describe, expect, it } from '@jest/globals'
import middy from '@middy/core'
import type { ConverseStreamOptions } from '../../src/aws/bedrock-api.js'
import { breakwater } from '../../src/middlewares/breakwater.js'
import type { BreakwaterContext } from '../../src/middlewares/stack.js'
import { fakeClientConfig } from '../../tools/fake-bedrock/bedrock-client.js'
import type { FakeBedrock } from '../../tools/fake-bedrock/fake-bedrock.js'
import type { FaultRule } from '../../tools/fake-bedrock/fake-bedrock-faults.js'
import { directEvent, lambdaContext } from '../support/events.js'
import { useFakeBedrockServer } from '../support/fake-bedrock-server.js'
import { at, EAST, WEST } from '../support/scenario.js'

let server!: FakeBedrock
useFakeBedrockServer((s) => { server = s })

interface Outcome { readonly shown: string[]; readonly text?: string; readonly region?: string; readonly error?: unknown }

/** One container: the same handler (clients, breakers) for every invocation of a test. */
function container(options: ConverseStreamOptions = {}) {
  const handler = middy(async (event: { text?: string }, context: BreakwaterContext): Promise<Outcome> => {
    const shown: string[] = []
    const input = { messages: [{ role: 'user' as const, content: [{ text: event.text ?? 'tell me a story' }] }] }
    try {
      const reply = await context.bedrock.converseStream(input, { firstTokenTimeoutMs: 300, idleTimeoutMs: 300, ...options })
      for await (const e of reply) {
        if ('breakwaterRestart' in e) shown.push('RESTART')
        else if (e.contentBlockDelta?.delta?.text !== undefined) shown.push(e.contentBlockDelta.delta.text)
      }
      const final = reply.final()
      return { shown, text: final.text, region: final.served.region }
    } catch (error) {
      return { shown, error }
    }
  }).use(breakwater({ routes: { default: [at(EAST), at(WEST)] }, client: { clientConfig: fakeClientConfig(server) }, degradation: false }))
  return (text?: string) => handler({ ...directEvent(), text }, lambdaContext() as BreakwaterContext)
}

const streams = () => server.calls.filter((c) => c.operation === 'converse-stream')

describe('streaming on the real wire', () => {
  it('a healthy stream: every token, the whole answer, one call', async () => {
    const outcome = await container()()
    expect(outcome.error).toBeUndefined()
    expect(outcome.text?.length).toBeGreaterThan(0)
    expect(outcome.shown.join('')).toBe(outcome.text)
    expect(outcome.region).toBe(EAST)
    expect(streams()).toHaveLength(1)
  })

  // A first 503 is retried once at once on the same target (a lone 5xx usually passes); a slow one moves on.
  it.each<[string, FaultRule, string[]]>([
    ['a slow first token', { kind: 'slow-first-token', region: EAST, firstTokenDelayMs: 1_000, times: 1 }, [EAST, WEST]],
    ['an in-stream 503 before any content',
      { kind: 'stream-exception', region: EAST, afterEvents: 1, exception: 'serviceUnavailableException', times: 1 }, [EAST, EAST]],
    ['a 503 before the stream', { kind: 'unavailable', region: EAST, times: 1 }, [EAST, EAST]],
    ['two 503s before the stream', { kind: 'unavailable', region: EAST, times: 2 }, [EAST, EAST, WEST]],
  ])('%s is invisible: a target streams the whole answer', async (_name, rule, regions) => {
    server.plan([rule])
    const invoke = container()
    const outcome = await invoke()
    expect(outcome.error).toBeUndefined()
    expect(outcome.region).toBe(regions.at(-1))
    expect(outcome.shown).not.toContain('RESTART')
    expect(streams().map((c) => c.region)).toEqual(regions)
    expect((await invoke()).error).toBeUndefined()
  })

  it.each<[string, FaultRule, string]>([
    ['a stall after some tokens', { kind: 'stall', region: EAST, afterEvents: 3, times: 1 }, 'stall'],
    ['a cut without messageStop', { kind: 'cut', region: EAST, afterEvents: 3, times: 1 }, 'cut'],
    ['a reset mid-stream', { kind: 'reset-mid-stream', region: EAST, afterEvents: 3, times: 1 }, 'error'],
    ['an in-stream error mid-way',
      { kind: 'stream-exception', region: EAST, afterEvents: 3, exception: 'modelStreamErrorException', times: 1 }, 'error'],
    ['a malformed event', { kind: 'malformed-event', region: EAST, afterEvents: 3, times: 1 }, 'error'],
  ])('%s restarts on the next target, after a restart event; fail gives a typed error', async (_name, rule, kind) => {
    server.plan([rule])
    const outcome = await container()()
    expect(outcome.error).toBeUndefined()
    expect(outcome.shown).toContain('RESTART')
    const after = outcome.shown.slice(outcome.shown.indexOf('RESTART') + 1).join('')
    expect(after).toBe(outcome.text)
    expect(outcome.region).toBe(WEST)
    expect(streams().map((c) => c.region)).toEqual([EAST, WEST])

    server.plan([rule])
    const failed = await container({ interrupted: 'fail' })()
    expect(failed.error).toMatchObject({ name: 'StreamInterruptedError', kind, served: { region: EAST } })
    expect((failed.error as { partialText: string }).partialText.length).toBeGreaterThan(0)
  })

  it('continue: the next target goes on from the partial answer; one that refuses prefills restarts instead', async () => {
    server.plan([{ kind: 'cut', region: EAST, afterEvents: 3, times: 1 }])
    const continued = await container({ interrupted: 'continue' })()
    expect(continued.error).toBeUndefined()
    expect(continued.shown).not.toContain('RESTART')
    const sent = streams()[1]?.body as { messages: Array<{ role: string }> }
    expect(sent.messages.at(-1)?.role).toBe('assistant')

    server.plan([{ kind: 'cut', region: EAST, afterEvents: 3, times: 1 }, { kind: 'rejects-prefill', region: WEST }])
    const restarted = await container({ interrupted: 'continue', firstTokenTimeoutMs: 300 })()
    expect(restarted.shown).toContain('RESTART')
  })

  it('an in-stream throttle before any content is retried in place, like a 429 from converse', async () => {
    server.plan([{ kind: 'stream-exception', region: EAST, afterEvents: 1, times: 1 }])
    const outcome = await container()()
    expect(outcome.error).toBeUndefined()
    expect(outcome.shown).not.toContain('RESTART')
    expect(outcome.region).toBe(EAST)
    // (A stream an earlier test left running may still land in the log after these two.)
    expect(streams().map((c) => c.region).slice(0, 2)).toEqual([EAST, EAST])
  })

  it('missing metadata after messageStop is still a whole answer', async () => {
    server.plan([{ kind: 'missing-metadata', region: EAST, times: 1 }])
    const outcome = await container()()
    expect(outcome.error).toBeUndefined()
    expect(outcome.region).toBe(EAST)
  })
})
