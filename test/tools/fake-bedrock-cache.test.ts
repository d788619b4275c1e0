import { PROMPT_CACHE_TTL_MS, PromptCache } from '../../tools/fake-bedrock/fake-bedrock-cache.js'

const body = (system: string, question: string) => ({
  system: [{ text: system }, { cachePoint: { type: 'default' } }], messages: [{ role: 'user', content: [{ text: question }] }],
})

describe('the fake Bedrock\'s prompt cache', () => {
  it('writes a prefix on first use, reads it after, per model and region, for five minutes', () => {
    const cache = new PromptCache()
    expect(cache.touch('us-east-1', 'm', body('contract', 'q1'), 0)).toEqual({ cacheWriteInputTokens: expect.any(Number) })
    expect(cache.touch('us-east-1', 'm', body('contract', 'q2'), 1_000)).toEqual({ cacheReadInputTokens: expect.any(Number) })
    expect(cache.touch('us-west-2', 'm', body('contract', 'q2'), 1_000)).toEqual({ cacheWriteInputTokens: expect.any(Number) })
    expect(cache.touch('us-east-1', 'other', body('contract', 'q2'), 1_000)).toHaveProperty('cacheWriteInputTokens')
    expect(cache.touch('us-east-1', 'm', body('contract', 'q3'), 1_000 + PROMPT_CACHE_TTL_MS + 1)).toHaveProperty('cacheWriteInputTokens')
    expect(cache.touch('us-east-1', 'm', { messages: [{ role: 'user', content: [{ text: 'no cache point' }] }] }, 0)).toBeUndefined()
  })
})
