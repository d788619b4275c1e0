import { describe, expect, it } from '@jest/globals'
import { BreakwaterConfigError } from '../../../src/core/errors.js'
import { compileRules, firstMatch } from '../../../src/core/routing/rules.js'

const ROUTES = ['default', 'small', 'large', 'vision']
const fieldOf = (rules: unknown): string => {
  try { compileRules(rules, ROUTES, 'test') } catch (e) { if (e instanceof BreakwaterConfigError) return e.field; throw e }
  throw new Error('did not throw')
}
const msg = (text: string) => ({ role: 'user', content: [{ text }] })

describe('routing rules', () => {
  const rules = compileRules([
    { route: 'vision', when: { has: 'images' } },
    { route: 'large', when: [{ tier: 'pro' }, { inputTokens: { min: 1_000 } }] },
    { route: 'small', when: { inputTokens: { max: 300 } } },
    { route: 'large', when: { custom: () => true } },
  ], ROUTES, 'test')

  it('first match wins, in order; all predicates of a rule must hold', () => {
    const long = { messages: [msg('x'.repeat(8_000))] }
    const image = { messages: [{ content: [{ image: {} }] }] }
    expect(firstMatch(rules, { event: {}, context: {}, input: image })).toBe('vision')
    expect(firstMatch(rules, { event: {}, context: {}, input: long, tier: 'pro' })).toBe('large')
    expect(firstMatch(rules, { event: {}, context: {}, input: { messages: [msg('hi')] }, tier: 'pro' })).toBe('small')
    // free tier, long input: rule 2 fails on tier, rule 3 on size, rule 4 (custom) catches it.
    expect(firstMatch(rules, { event: {}, context: {}, input: long, tier: 'free' })).toBe('large')
  })

  it('skips input rules while the input is unknown, and gives undefined when nothing matches (→ default route)', () => {
    const onlyInput = compileRules([{ route: 'small', when: { inputTokens: { max: 300 } } }], ROUTES, 'test')
    expect(onlyInput[0]!.needsInput).toBe(true)
    expect(firstMatch(onlyInput, { event: {}, context: {} })).toBeUndefined()
    expect(firstMatch(rules, { event: {}, context: {} })).toBe('large') // the custom rule needs no input
    expect(compileRules(undefined, ROUTES, 'test')).toEqual([])
  })

  it('rejects at init a rule naming a missing route, or a malformed predicate, naming the field', () => {
    const toHuge = [
      { route: 'small', when: { has: 'tools' } }, { route: 'large', when: { has: 'tools' } }, { route: 'huge', when: { has: 'tools' } },
    ]
    expect(fieldOf(toHuge)).toBe('rules[2].route')
    expect(fieldOf({ route: 'small' })).toBe('rules')
    expect(fieldOf([{ route: 'small', when: { inputToken: { max: 1 } } }])).toBe('rules[0].when')
    expect(fieldOf([{ route: 'small', when: [{ has: 'tools' }, { has: 'video' }] }])).toBe('rules[0].when[1].has')
    expect(fieldOf([{ route: 'small', when: { inputTokens: {} } }])).toBe('rules[0].when.inputTokens')
    expect(fieldOf([{ route: 'small', when: { inputTokens: { min: 10, max: 1 } } }])).toBe('rules[0].when.inputTokens')
    expect(fieldOf([{ route: 'small', when: { messages: { max: -1 } } }])).toBe('rules[0].when.messages.max')
    expect(fieldOf([{ route: 'small', when: { tier: [] } }])).toBe('rules[0].when.tier')
    expect(fieldOf([{ route: 'small', when: { custom: true } }])).toBe('rules[0].when.custom')
    expect(fieldOf([{ route: 'small', when: [] }])).toBe('rules[0].when')
    expect(fieldOf([{ route: 'small', when: { has: 'tools' }, weight: 1 }])).toBe('rules[0].weight')
  })
})
