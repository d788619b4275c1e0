import fc from 'fast-check'
import { contextNeed, contextWindowOf, fitContext } from '../../../src/core/fallback/context-fit.js'
import { knownContextWindow } from '../../../src/core/fallback/context-windows.js'
import { truncateHistory } from '../../../src/core/fallback/policy.js'

const turn = (i: number, chars: number) => ({ role: i % 2 === 0 ? 'user' : 'assistant', content: [{ text: 'x'.repeat(chars) }] })
function conversation(turns: number, chars: number, maxTokens?: number) {
  const input: { messages: ReturnType<typeof turn>[]; inferenceConfig?: { maxTokens: number } } = {
    messages: Array.from({ length: turns }, (_, i) => turn(i, chars)),
  }
  if (maxTokens !== undefined) input.inferenceConfig = { maxTokens }
  return input
}
const target = { model: 'anthropic.claude-3-haiku-20240307-v1:0', region: 'us-east-1' }

describe('context windows', () => {
  it('knows the common families, through inference-profile prefixes and ARNs', () => {
    expect(knownContextWindow('anthropic.claude-3-5-haiku-20241022-v1:0')).toBe(200_000)
    expect(knownContextWindow('us.anthropic.claude-sonnet-4-20250514-v1:0')).toBe(200_000)
    expect(knownContextWindow('arn:aws:bedrock:eu-west-1:1:inference-profile/eu.amazon.nova-pro-v1:0')).toBe(300_000)
    expect(knownContextWindow('amazon.nova-micro-v1:0')).toBe(128_000)
    expect(knownContextWindow('meta.llama3-1-70b-instruct-v1:0')).toBe(128_000)
    expect(knownContextWindow('meta.llama3-70b-instruct-v1:0')).toBe(8_000)
    expect(knownContextWindow('vendor.unknown-v1:0')).toBeUndefined()
  })

  it('a target\'s own window wins over its family\'s', () => {
    expect(contextWindowOf({ ...target, contextWindow: 50_000 })).toBe(50_000)
    expect(contextWindowOf(target)).toBe(200_000)
  })
})

describe('fitContext', () => {
  it('counts input plus the output asked for (capped by the target), and nothing for a raw body', () => {
    expect(contextNeed(conversation(1, 400, 100), target)).toBe(200)
    expect(contextNeed(conversation(1, 400, 100), { ...target, maxTokens: 10 })).toBe(110)
    expect(contextNeed(conversation(1, 400), target)).toBe(100)
    expect(contextNeed({ body: '{}' }, target)).toBeUndefined()
  })

  it('leaves a request that fits, halves one that does not until it fits, and gives up within maxTruncations', () => {
    const small = { ...target, contextWindow: 1_000 }
    expect(fitContext(conversation(3, 400), small, truncateHistory, 3)).toMatchObject({ truncations: 0 })
    const fitted = fitContext(conversation(17, 1_000), small, truncateHistory, 3)
    expect(fitted).not.toBe('cannot-fit')
    expect(fitted !== 'cannot-fit' && contextNeed(fitted.input, small)).toBeLessThanOrEqual(1_000)
    expect(fitContext(conversation(17, 1_000), small, truncateHistory, 1)).toBe('cannot-fit')
    expect(fitContext(conversation(1, 8_000), small, truncateHistory, 3)).toBe('cannot-fit')
  })

  it('whatever it returns fits the window, or says it cannot', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 3_000 }), fc.integer({ min: 1_000, max: 20_000 }),
      (turns, chars, window) => {
        const t = { ...target, contextWindow: window }
        const fit = fitContext(conversation(turns, chars, 200), t, truncateHistory, 5)
        return fit === 'cannot-fit' || (contextNeed(fit.input, t) ?? 0) <= window
      }), { numRuns: 200 })
  })
})
