/** The cached-response fallback's key and what it keeps: one key per request as asked, whatever the key order. */
import { describe, expect, it } from '@jest/globals'
import type { ConverseInput } from '../../../src/aws/bedrock-calls.js'
import { sha256 } from '../../../src/aws/digest.js'
import { isCacheable } from '../../../src/core/engine/invocation.js'
import { replyCacheKey } from '../../../src/core/fallback/cache-key.js'
import type { Served } from '../../../src/core/invoker/types.js'

const input: ConverseInput = {
  system: [{ text: 'Be brief.' }],
  messages: [{ role: 'user', content: [{ text: 'orders?' }] }],
  inferenceConfig: { maxTokens: 100, temperature: 0 },
}
const key = (i: ConverseInput, route = 'default', schema?: Record<string, unknown>): string => replyCacheKey(sha256(), route, i, schema)

describe('replyCacheKey', () => {
  it('is a sha256 (base64url) that ignores key order, undefined fields and requestMetadata', () => {
    const k = key(input)
    expect(k).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(key({ inferenceConfig: { temperature: 0, maxTokens: 100 }, messages: input.messages, system: input.system })).toBe(k)
    expect(key({ ...input, toolConfig: undefined })).toBe(k)
    expect(key({ ...input, requestMetadata: { requestId: 'r-123' } })).toBe(k)
  })

  it.each<[string, string]>([
    ['the text', key({ ...input, messages: [{ role: 'user', content: [{ text: 'orders!' }] }] })],
    ['the system prompt', key({ ...input, system: [{ text: 'Be long.' }] })],
    ['inferenceConfig', key({ ...input, inferenceConfig: { maxTokens: 99, temperature: 0 } })],
    ['the route', key(input, 'premium')],
    ['the response schema', key(input, 'default', { type: 'object' })],
    ['tools', key({ ...input, toolConfig: { tools: [{ toolSpec: { name: 't', inputSchema: { json: {} } } }] } })],
  ])('changes with %s', (_what, other) => {
    expect(other).not.toBe(key(input))
  })

  it('hashes image bytes as bytes: same bytes same key, one byte off another key', () => {
    const image = (bytes: number[]): ConverseInput =>
      ({ messages: [{ role: 'user', content: [{ image: { format: 'png', source: { bytes: new Uint8Array(bytes) } } }] }] })
    expect(key(image([1, 2, 3]))).toBe(key(image([1, 2, 3])))
    expect(key(image([1, 2, 3]))).not.toBe(key(image([1, 2, 4])))
    // A byte array is not confused with the JSON object it would stringify to.
    const asObject = { 0: 1, 1: 2, 2: 3 } as unknown as Uint8Array
    const lookalike: ConverseInput = { messages: [{ role: 'user', content: [{ image: { format: 'png', source: { bytes: asObject } } }] }] }
    expect(key(image([1, 2, 3]))).not.toBe(key(lookalike))
  })
})

describe('isCacheable', () => {
  const served = (...degradations: Served['degradations']): Served =>
    ({ route: 'default', model: 'm', region: 'r', attempts: 1, degraded: degradations[0] ?? false, degradations })
  it('keeps replies served as asked (first target or a fallback target), not shortened ones', () => {
    expect(isCacheable(served())).toBe(true)
    expect(isCacheable(served('fallback-target'))).toBe(true)
    expect(isCacheable(served('truncated-context'))).toBe(false)
    expect(isCacheable(served('fallback-target', 'reduced-max-tokens'))).toBe(false)
  })
})
