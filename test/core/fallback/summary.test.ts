/** The summarizer's texts (fallback/summary.ts) and its policy's validation (fallback/summarize-policy.ts). */
import { describe, expect, it } from '@jest/globals'
import { BreakwaterConfigError } from '../../../src/core/errors.js'
import { resolveFallbackPolicy } from '../../../src/core/fallback/policy.js'
import { droppedTurns, noteOf, summaryOf, summaryRequest, transcript, withSummary } from '../../../src/core/fallback/summary.js'
import { truncateHistory } from '../../../src/core/fallback/policy.js'

const SOURCE = 'breakwater/fallback'
const NOVA = 'amazon.nova-micro-v1:0'
const user = (text: string) => ({ role: 'user', content: [{ text }] })
const assistant = (text: string) => ({ role: 'assistant', content: [{ text }] })
const history = (n: number) => Array.from({ length: n }, (_, i) => (i % 2 === 0 ? user : assistant)(`turn ${i}`))

const fieldOf = (fn: () => unknown): string => {
  try { fn() } catch (e) { if (e instanceof BreakwaterConfigError) return e.field; throw e }
  throw new Error('did not throw')
}

describe('summarize policy', () => {
  it('is off by default; an object needs targets and takes the defaults for the rest', () => {
    expect(resolveFallbackPolicy({}, SOURCE).summarize).toBe(false)
    expect(resolveFallbackPolicy({ summarize: false }, SOURCE).summarize).toBe(false)
    expect(resolveFallbackPolicy({ summarize: { targets: [`${NOVA}@us-east-1`] } }, SOURCE).summarize).toEqual({
      targets: [{ model: NOVA, region: 'us-east-1' }], maxTokens: 400, timeoutMs: 3000,
    })
  })

  it.each([
    ['true (there is no default summarizer model)', true, 'fallback.summarize'],
    ['no targets', { maxTokens: 100 }, 'fallback.summarize.targets'],
    ['an empty target list', { targets: [] }, 'fallback.summarize.targets'],
    ['a target without a region', { targets: ['nova'] }, 'fallback.summarize.targets[0]'],
    ['a target listed twice', { targets: [`${NOVA}@us-east-1`, { model: NOVA, region: 'us-east-1' }] }, 'fallback.summarize.targets'],
    ['an unknown key', { targets: [`${NOVA}@us-east-1`], model: NOVA }, 'fallback.summarize.model'],
    ['maxTokens below 16', { targets: [`${NOVA}@us-east-1`], maxTokens: 8 }, 'fallback.summarize.maxTokens'],
    ['a fractional timeout below 100 ms', { targets: [`${NOVA}@us-east-1`], timeoutMs: 50.5 }, 'fallback.summarize.timeoutMs'],
    ['a summary too long for its model\'s window', {
      targets: [{ model: 'my-small-model', region: 'us-east-1', contextWindow: 1_000 }], maxTokens: 900,
    }, 'fallback.summarize.maxTokens'],
    ['a summarizer window too small even for the default summary', {
      targets: [`${NOVA}@us-east-1`, { model: 'my-small-model', region: 'us-east-1', contextWindow: 1_000 }],
    }, 'fallback.summarize.targets[1]'],
  ])('rejects %s', (_name, summarize, field) => {
    expect(fieldOf(() => resolveFallbackPolicy({ summarize } as never, SOURCE))).toBe(field)
  })
})

describe('summary texts', () => {
  it('the dropped turns are those before the kept suffix; none when the kept ones are not a suffix', () => {
    const before = { messages: history(9) }
    const after = truncateHistory(before) as typeof before
    expect(droppedTurns(before, after).map((m) => m.content?.[0])).toEqual(before.messages.slice(0, 6).map((m) => m.content[0]))
    expect(droppedTurns(before, before)).toEqual([])
    expect(droppedTurns(before, { messages: [user('turn 8')] })).toEqual([])
  })

  it('a transcript names speakers, says what non-text blocks were, and keeps the newest turns within its length', () => {
    const turns = [
      user('the first question'),
      { role: 'assistant', content: [{ toolUse: { name: 'lookup', toolUseId: 't', input: {} } }] },
      { role: 'user', content: [{ toolResult: { toolUseId: 't', content: [{ text: '42' }] } }, { image: {} }] },
    ]
    expect(transcript(turns, undefined, 10_000))
      .toBe('User: the first question\nAssistant: [called tool lookup]\nUser: [tool result] 42 [image]')
    const short = transcript(turns, 'they met', 60)
    expect(short.startsWith('Earlier summary: they met\n[earlier turns omitted]\n')).toBe(true)
    expect(short).toContain('[tool result] 42')
    expect(short).not.toContain('first question')
  })

  it('the note replaces an earlier note and keeps the caller\'s system blocks; its summary can be read back', () => {
    const input = { system: [{ text: 'Be brief.' }], messages: [user('hi')] }
    const once = withSummary(input, 'first')
    const twice = withSummary(once, 'second')
    expect(twice.system).toEqual([{ text: 'Be brief.' }, { text: expect.stringContaining('second') }])
    expect(noteOf(twice)).toBe('second')
    expect(noteOf(input)).toBeUndefined()
    // A block that merely looks like a note is the caller's, not ours.
    expect(noteOf({ system: [{ text: (twice.system[1] as { text: string }).text }] })).toBeUndefined()
  })

  it('the summary request asks for at most maxTokens; the summary is the reply\'s text, or nothing when empty', () => {
    expect(summaryRequest('User: hi', 64)).toMatchObject({ inferenceConfig: { maxTokens: 64 }, messages: [{ role: 'user' }] })
    expect(summaryOf({ output: { message: { content: [{ text: ' a ' }, { text: 'b' }] } } })).toBe('a b')
    expect(summaryOf({ output: { message: { content: [{ text: '  ' }] } } })).toBeUndefined()
    expect(summaryOf({})).toBeUndefined()
    expect(summaryOf(undefined)).toBeUndefined()
  })
})
