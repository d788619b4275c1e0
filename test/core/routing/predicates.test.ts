import { describe, expect, it } from '@jest/globals'
import { estimateInputTokens, holds, type RouteContext } from '../../../src/core/routing/predicates.js'

const msg = (text: string) => ({ role: 'user', content: [{ text }] })
function ctx(input?: unknown, extra: Partial<RouteContext> = {}): RouteContext {
  const c: { -readonly [K in keyof RouteContext]: RouteContext[K] } = { event: {}, context: {} }
  if (input !== undefined) c.input = input
  return Object.assign(c, extra)
}

describe('estimateInputTokens', () => {
  it('counts characters / 4 over messages and system, plus 1 000 per image or document', () => {
    expect(estimateInputTokens({ messages: [msg('hello')] })).toBe(2)
    expect(estimateInputTokens({ system: [{ text: 'x'.repeat(400) }], messages: [msg('y'.repeat(400))] })).toBe(200)
    expect(estimateInputTokens({ messages: [{ content: [{ image: { format: 'png' } }, { document: { name: 'a' } }] }] })).toBe(2_000)
    expect(estimateInputTokens({})).toBe(0)
  })
})

describe('predicates', () => {
  const greeting = { messages: [msg('hi there!')] }
  const analysis = { messages: [msg('Analyse this contract clause by clause. '.repeat(300))] }

  it('inputTokens: a greeting is small, an analysis is large; bounds are inclusive', () => {
    expect(holds({ inputTokens: { max: 200 } }, ctx(greeting))).toBe(true)
    expect(holds({ inputTokens: { max: 200 } }, ctx(analysis))).toBe(false)
    expect(holds({ inputTokens: { min: 2_000 } }, ctx(analysis))).toBe(true)
    expect(holds({ inputTokens: { min: 3, max: 3 } }, ctx(greeting))).toBe(true)
    expect(holds({ inputTokens: { max: 200 } }, ctx())).toBe(false) // no input yet
  })

  it('messages: counts the conversation', () => {
    const long = { messages: Array.from({ length: 12 }, (_, i) => msg(`m${i}`)) }
    expect(holds({ messages: { min: 10 } }, ctx(long))).toBe(true)
    expect(holds({ messages: { min: 10 } }, ctx(greeting))).toBe(false)
    expect(holds({ messages: { max: 1 } }, ctx(greeting))).toBe(true)
  })

  it('has: tools, images, documents', () => {
    const withTools = { ...greeting, toolConfig: { tools: [] } }
    const image = { format: 'png', source: { bytes: new Uint8Array(1) } }
    const withImage = { messages: [{ role: 'user', content: [{ text: 'what is this' }, { image }] }] }
    const doc = { format: 'pdf', name: 'a', source: { bytes: new Uint8Array(1) } }
    const withDoc = { messages: [{ role: 'user', content: [{ document: doc }] }] }
    expect(holds({ has: 'tools' }, ctx(withTools))).toBe(true)
    expect(holds({ has: 'tools' }, ctx(greeting))).toBe(false)
    expect(holds({ has: 'images' }, ctx(withImage))).toBe(true)
    expect(holds({ has: 'images' }, ctx(withDoc))).toBe(false)
    expect(holds({ has: 'documents' }, ctx(withDoc))).toBe(true)
    expect(holds({ has: 'documents' }, ctx())).toBe(false)
  })

  it('tier: one or a list; no tier never matches', () => {
    expect(holds({ tier: 'gold' }, ctx(undefined, { tier: 'gold' }))).toBe(true)
    expect(holds({ tier: ['gold', 'platinum'] }, ctx(undefined, { tier: 'platinum' }))).toBe(true)
    expect(holds({ tier: 'gold' }, ctx(undefined, { tier: 'free' }))).toBe(false)
    expect(holds({ tier: 'gold' }, ctx())).toBe(false)
  })

  it('custom: sees event, context and input; throwing or a non-true value does not match', () => {
    const seen: RouteContext[] = []
    const custom = (c: RouteContext): boolean => { seen.push(c); return true }
    expect(holds({ custom }, { event: { path: '/x' }, context: { fn: 1 }, input: greeting })).toBe(true)
    expect(seen[0]).toMatchObject({ event: { path: '/x' }, context: { fn: 1 }, input: greeting })
    expect(holds({ custom: () => { throw new Error('bug') } }, ctx())).toBe(false)
    expect(holds({ custom: () => 'yes' as unknown as boolean }, ctx())).toBe(false)
  })
})
