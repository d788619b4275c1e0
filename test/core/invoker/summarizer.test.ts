/**
 * The summarizer (invoker/summarizer.ts) on a simulated clock: a cascade of its own over its targets, within the
 * time the request has left; whatever goes wrong leaves the plain shortening, except the caller's abort.
 */
import { describe, expect, it } from '@jest/globals'
import { Deadline } from '../../../src/core/backoff/deadline.js'
import type { SummarizePolicy } from '../../../src/core/fallback/summarize-policy.js'
import { noteOf, type Summarizable } from '../../../src/core/fallback/summary.js'
import { resolveFallbackPolicy, truncateHistory } from '../../../src/core/fallback/policy.js'
import { summarizer, SUMMARY_ROUTE } from '../../../src/core/invoker/summarizer.js'
import type { CallFn, CascadeListener } from '../../../src/core/invoker/types.js'
import type { AttemptRecord } from '../../../src/core/attempts.js'
import { setup, sdkError } from './harness.js'

const NOVA = 'amazon.nova-micro-v1:0'
const summarize = { targets: [`${NOVA}@us-east-1`, `${NOVA}@us-west-2`], maxTokens: 64, timeoutMs: 2_000 }
const policy = resolveFallbackPolicy({ summarize }, 'test').summarize as SummarizePolicy
const turn = (role: string, i: number) => ({ role, content: [{ text: `turn ${i}` }] })
const before: Summarizable = { messages: Array.from({ length: 9 }, (_, i) => turn(i % 2 === 0 ? 'user' : 'assistant', i)) }
const after = truncateHistory(before) as Summarizable
const reply = (text: string, stopReason = 'end_turn') => ({ output: { message: { role: 'assistant', content: [{ text }] } }, stopReason })

function harness(answer: (region: string) => unknown, remainingMs = 30_000) {
  const { clock, policies } = setup()
  const told: boolean[] = []
  const attempts: AttemptRecord[] = []
  const served: unknown[] = []
  const listener: CascadeListener = {
    summarized: (added) => told.push(added), attempt: (r, route) => { if (route === SUMMARY_ROUTE) attempts.push(r) },
    served: (s) => served.push(s),
  }
  const sent: { region: string; input: Summarizable }[] = []
  const call: CallFn<Summarizable, unknown> = async (target, input, signal) => {
    sent.push({ region: target.region, input })
    await clock.sleep(100, signal)
    const a = answer(target.region)
    if (a instanceof Error) throw a
    return a
  }
  const summarize = summarizer({ policy, policies, call, clock, random: () => 0.5, minAttemptMs: 500, listener })
  const deadline = new Deadline(clock, remainingMs, 0)
  return { clock, summarize, deadline, told, attempts, sent, served }
}

describe('summarizer', () => {
  it('asks its first target for a summary of the dropped turns; the note goes into the shortened request', async () => {
    const h = harness(() => reply('They counted to five.'))
    const out = await h.clock.run(h.summarize(before, after, { route: 'chat', deadline: h.deadline }))
    expect(noteOf(out!)).toBe('They counted to five.')
    expect(out!.messages).toBe(after.messages)
    expect(h.sent.map((s) => s.region)).toEqual(['us-east-1'])
    expect(h.sent[0]!.input.inferenceConfig?.maxTokens).toBe(64)
    expect(h.told).toEqual([true])
    // Its attempts are heard under its own route; it is no served reply.
    expect(h.attempts.map((a) => a.outcome)).toEqual(['success'])
    expect(h.served).toEqual([])
  })

  it('walks on to its next target after a failure, like any cascade', async () => {
    const h = harness((region) => (region === 'us-east-1' ? sdkError('AccessDeniedException', 403) : reply('west wrote it')))
    const out = await h.clock.run(h.summarize(before, after, { route: 'chat', deadline: h.deadline }))
    expect(noteOf(out!)).toBe('west wrote it')
    expect(h.sent.map((s) => s.region)).toEqual(['us-east-1', 'us-west-2'])
  })

  it.each([
    ['an empty summary', () => reply('   ')],
    ['a guardrail in place of the summary', () => reply('Sorry, I cannot help.', 'guardrail_intervened')],
    ['every target refusing', () => sdkError('AccessDeniedException', 403)],
  ])('%s leaves the plain shortening (undefined), told as a failure', async (_name, answer) => {
    const h = harness(answer)
    expect(await h.clock.run(h.summarize(before, after, { route: 'chat', deadline: h.deadline }))).toBeUndefined()
    expect(h.told).toEqual([false])
  })

  it('takes at most its timeout, and no call at all when the request has no time to spare for one', async () => {
    const hang: CallFn<Summarizable, unknown> = (_t, _i, signal) =>
      new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)))
    const { clock, policies } = setup()
    const s = summarizer({ policy, policies, call: hang, clock, random: () => 0.5, minAttemptMs: 500, listener: {} })
    const started = clock.now()
    expect(await clock.run(s(before, after, { route: 'chat', deadline: new Deadline(clock, 30_000, 0) }))).toBeUndefined()
    expect(clock.now() - started).toBeLessThanOrEqual(policy.timeoutMs)

    const tight = harness(() => reply('never asked'), 550)
    expect(await tight.clock.run(tight.summarize(before, after, { route: 'chat', deadline: tight.deadline }))).toBeUndefined()
    expect(tight.sent).toEqual([])
    expect(tight.told).toEqual([false])
  })

  it('nothing dropped, nothing to summarize: no call', async () => {
    const h = harness(() => reply('x'))
    expect(await h.clock.run(h.summarize(before, before, { route: 'chat', deadline: h.deadline }))).toBeUndefined()
    expect(h.sent).toEqual([])
    expect(h.told).toEqual([])
  })

  it('the caller\'s abort is not swallowed', async () => {
    const h = harness(() => reply('x'))
    const controller = new AbortController()
    const running = h.clock.run(h.summarize(before, after, { route: 'chat', deadline: h.deadline, signal: controller.signal }))
    controller.abort(new Error('caller gave up'))
    await expect(running).rejects.toThrow('caller gave up')
  })

  it('one request shortened the same way twice (a hedge\'s second leg, a restarted stream) is summarized once', async () => {
    const h = harness(() => reply('Once.'))
    const [a, b] = await h.clock.run(Promise.all([
      h.summarize(before, after, { route: 'chat', deadline: h.deadline }),
      h.summarize(before, { messages: after.messages }, { route: 'chat', deadline: h.deadline }),
    ]))
    expect([noteOf(a!), noteOf(b!)]).toEqual(['Once.', 'Once.'])
    expect(h.sent).toHaveLength(1)
    expect(h.told).toEqual([true])
  })

  it('a failed summary is not kept: the next shortening of the same request asks again', async () => {
    let answers = 0
    const h = harness(() => (answers++ < 2 ? sdkError('AccessDeniedException', 403) : reply('Second time.')))
    expect(await h.clock.run(h.summarize(before, after, { route: 'chat', deadline: h.deadline }))).toBeUndefined()
    expect(noteOf((await h.clock.run(h.summarize(before, after, { route: 'chat', deadline: h.deadline })))!)).toBe('Second time.')
    expect(h.told).toEqual([false, true])
  })
})
