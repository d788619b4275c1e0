import type { BreakwaterConfigError } from '../../src/core/errors.js'
import { inferenceProfileGeo, modelFamily, parseTarget, targetKey } from '../../src/core/targets.js'

describe('targets', () => {
  it('parses the model@region shorthand, inference profile ids included', () => {
    const t = parseTarget('us.anthropic.claude-3-5-haiku-20241022-v1:0@us-west-2', 'routes.default[0]', 'test')
    expect(t).toEqual({ model: 'us.anthropic.claude-3-5-haiku-20241022-v1:0', region: 'us-west-2' })
    expect(targetKey(t)).toBe('us.anthropic.claude-3-5-haiku-20241022-v1:0@us-west-2')
    expect(inferenceProfileGeo(t.model)).toBe('us')
    expect(inferenceProfileGeo('anthropic.claude-v2')).toBeUndefined()
  })

  it('rejects bad targets naming the field', () => {
    const bad = (spec: unknown): BreakwaterConfigError => {
      try { parseTarget(spec as string, 'routes.x[1]', 'test') } catch (e) { return e as BreakwaterConfigError }
      throw new Error('did not throw')
    }
    expect(bad('no-region').field).toBe('routes.x[1]')
    expect(bad({ model: 'm', region: 'mars-1' }).field).toBe('routes.x[1].region')
    expect(bad({ model: '', region: 'us-east-1' }).field).toBe('routes.x[1].model')
    expect(bad({ model: 'm', region: 'us-east-1', maxTokens: -1 }).field).toBe('routes.x[1].maxTokens')
    expect(bad({ model: 'm', region: 'us-east-1', temperature: 1 }).field).toBe('routes.x[1].temperature')
    expect(bad({ model: 'm', region: 'us-east-1', contextWindow: 500 }).field).toBe('routes.x[1].contextWindow')
    expect(bad({ model: 'm', region: 'us-east-1', contextWindow: 8_000.5 }).field).toBe('routes.x[1].contextWindow')
  })

  it('a quota: positive integers, at least one of the two, no other keys; a bad one is named', () => {
    const bad = (quota: unknown): BreakwaterConfigError => {
      try {
        parseTarget({ model: 'm', region: 'us-east-1', quota } as never, 'routes.x[0]', 'test')
      } catch (e) { return e as BreakwaterConfigError }
      throw new Error('did not throw')
    }
    const t = parseTarget({ model: 'm', region: 'us-east-1', quota: { requestsPerMinute: 400, tokensPerMinute: 300_000 } }, 'r', 'test')
    expect(t.quota).toEqual({ requestsPerMinute: 400, tokensPerMinute: 300_000 })
    const tokensOnly = parseTarget({ model: 'm', region: 'us-east-1', quota: { tokensPerMinute: 1 } }, 'r', 'test')
    expect(tokensOnly.quota).toEqual({ tokensPerMinute: 1 })
    expect(bad({ requestsPerMinute: 0 }).field).toBe('routes.x[0].quota.requestsPerMinute')
    expect(bad({ tokensPerMinute: 1.5 }).field).toBe('routes.x[0].quota.tokensPerMinute')
    expect(bad({ requestsPerMinute: '5' }).field).toBe('routes.x[0].quota.requestsPerMinute')
    expect(bad({ rpm: 5 }).field).toBe('routes.x[0].quota.rpm')
    expect(bad({}).field).toBe('routes.x[0].quota')
    expect(bad({}).message).toMatch(/requestsPerMinute, tokensPerMinute or both/)
    expect(bad(5).field).toBe('routes.x[0].quota')
    expect(bad({ requestsPerMinute: undefined }).field).toBe('routes.x[0].quota')
  })

  it('groups models into request-body families', () => {
    expect(modelFamily('anthropic.claude-3-haiku-20240307-v1:0')).toBe('anthropic.claude')
    expect(modelFamily('us.anthropic.claude-3-5-sonnet-20240620-v1:0')).toBe('anthropic.claude')
    expect(modelFamily('amazon.nova-lite-v1:0')).toBe('amazon.nova')
    expect(modelFamily('amazon.titan-text-express-v1')).toBe('amazon.titan')
    expect(modelFamily('meta.llama3-8b-instruct-v1:0')).not.toBe(modelFamily('mistral.mistral-7b-instruct-v0:2'))
  })
})
