/** Service tiers and latency modes on a target: validated like every option, and each its own breaker key. */
import { BreakwaterConfigError } from '../../src/core/errors.js'
import { parseTarget, modelRegionKey, targetKey, type Target } from '../../src/core/targets.js'
import { ROUTER_OPTIONS } from '../../src/middlewares/schema/router.js'
import { parseOptions } from '../../src/core/config/index.js'

const HAIKU = 'us.anthropic.claude-3-5-haiku-20241022-v1:0'
const at = (extra: Partial<Target> = {}): Target => parseTarget({ model: HAIKU, region: 'us-east-2', ...extra }, 'routes.x[0]', 'test')

describe('target service tiers and latency', () => {
  it('accepts every tier and latency mode the SDK names', () => {
    for (const serviceTier of ['priority', 'default', 'flex', 'reserved'] as const) {
      expect(at({ serviceTier }).serviceTier).toBe(serviceTier)
    }
    for (const latency of ['standard', 'optimized'] as const) expect(at({ latency }).latency).toBe(latency)
  })

  it('rejects an unknown tier or latency with a BreakwaterConfigError naming the field', () => {
    const bad = (extra: Record<string, unknown>): BreakwaterConfigError => {
      try { at(extra as Partial<Target>) } catch (e) { return e as BreakwaterConfigError }
      throw new Error('did not throw')
    }
    const tier = bad({ serviceTier: 'fast' })
    expect(tier).toBeInstanceOf(BreakwaterConfigError)
    expect(tier.field).toBe('routes.x[0].serviceTier')
    expect(tier.message).toContain('must be "priority", "default", "flex" or "reserved" (got "fast")')
    expect(bad({ serviceTier: { type: 'flex' } }).field).toBe('routes.x[0].serviceTier')
    expect(bad({ latency: 'turbo' }).field).toBe('routes.x[0].latency')
    expect(bad({ latency: true }).field).toBe('routes.x[0].latency')
  })

  it('the router names a bad tier by its place in the routes', () => {
    const routes = {
      default: [
        { model: HAIKU, region: 'us-east-2', serviceTier: 'priority' },
        { model: HAIKU, region: 'us-east-2', serviceTier: 'cheap' },
      ],
    }
    expect(() => parseOptions(ROUTER_OPTIONS, { routes })).toThrow(expect.objectContaining({ field: 'routes.default[1].serviceTier' }))
  })

  it('each tier and latency mode is its own key; tier-less keys, the default tier and standard latency are unchanged', () => {
    const plain = `${HAIKU}@us-east-2`
    expect(targetKey(at())).toBe(plain)
    expect(targetKey(at({ serviceTier: 'default' }))).toBe(plain)
    expect(targetKey(at({ latency: 'standard' }))).toBe(plain)
    expect(targetKey(at({ serviceTier: 'priority' }))).toBe(`${plain}/priority`)
    expect(targetKey(at({ serviceTier: 'flex' }))).toBe(`${plain}/flex`)
    expect(targetKey(at({ serviceTier: 'reserved', latency: 'optimized' }))).toBe(`${plain}/reserved/optimized`)
    expect(targetKey(at({ latency: 'optimized' }))).toBe(`${plain}/optimized`)
  })

  it("a declared quota is the model's in the region, whatever the tier", () => {
    expect(modelRegionKey(at({ serviceTier: 'priority', latency: 'optimized' }))).toBe(`${HAIKU}@us-east-2`)
  })

  it('the tiers of one model and region must agree on its quota, as its other appearances do', () => {
    const quota = (requestsPerMinute: number) => ({ requestsPerMinute })
    const routes = {
      default: [
        { model: HAIKU, region: 'us-east-2', serviceTier: 'priority', quota: quota(100) },
        { model: HAIKU, region: 'us-east-2', quota: quota(200) },
      ],
    }
    expect(() => parseOptions(ROUTER_OPTIONS, { routes })).toThrow(expect.objectContaining({ field: 'routes.default[1].quota' }))
  })
})
