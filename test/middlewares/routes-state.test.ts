import { BreakwaterConfigError, CompositionError } from '../../src/core/errors.js'
import { parseOptions } from '../../src/core/config/index.js'
import { resolveDefaultRoute, resolveRoutes } from '../../src/middlewares/routes.js'
import { ROUTER_OPTIONS } from '../../src/middlewares/schema/router.js'
import { enterRole } from '../../src/middlewares/state.js'

const fieldOf = (fn: () => unknown): string => {
  try { fn() } catch (e) { if (e instanceof BreakwaterConfigError) return e.field; throw e }
  throw new Error('did not throw')
}

describe('resolveRoutes', () => {
  it('accepts lists and { targets, invokeModel } and records families', () => {
    const routes = resolveRoutes({
      default: ['anthropic.claude-3-haiku-20240307-v1:0@us-east-1', { model: 'amazon.nova-micro-v1:0', region: 'us-west-2', maxTokens: 200 }],
      raw: { targets: ['anthropic.claude-3-haiku-20240307-v1:0@us-east-1', 'us.anthropic.claude-3-5-haiku-20241022-v1:0@us-east-2'], invokeModel: true },
    })
    expect(routes.get('default')!.families).toEqual(['anthropic.claude', 'amazon.nova'])
    expect(routes.get('raw')!.targets).toHaveLength(2)
  })

  // The router's schema checks routes before they are resolved.
  const checked = (routes: unknown, defaultRoute?: unknown) => () => parseOptions(ROUTER_OPTIONS, { routes, ...(defaultRoute !== undefined && { defaultRoute }) } as never)

  it('rejects empty routes, empty cascades, unknown route keys and mixed families for invokeModel', () => {
    expect(fieldOf(checked({}))).toBe('routes')
    expect(fieldOf(checked(undefined))).toBe('routes')
    expect(fieldOf(checked({ chat: [] }))).toBe('routes.chat')
    expect(fieldOf(checked({ chat: { targets: ['m@us-east-1'], weight: 5 } }))).toBe('routes.chat.weight')
    expect(fieldOf(checked({ raw: { targets: ['anthropic.claude-3@us-east-1', 'amazon.nova-lite-v1:0@us-east-1'], invokeModel: true } }))).toBe('routes.raw.targets')
  })

  it('picks the default route and rejects one naming a missing route', () => {
    const routes = resolveRoutes({ chat: ['m.x@us-east-1'], default: ['m.y@us-east-1'] })
    expect(resolveDefaultRoute(routes, undefined)).toBe('default')
    expect(resolveDefaultRoute(resolveRoutes({ chat: ['m.x@us-east-1'] }), undefined)).toBe('chat')
    expect(fieldOf(checked({ chat: ['m.x@us-east-1'], default: ['m.y@us-east-1'] }, 'nope'))).toBe('defaultRoute')
  })
})

describe('enterRole (composition order)', () => {
  const request = () => ({ internal: {} as Record<string, unknown> })

  it('accepts the documented order and any subset of it', () => {
    const r = request()
    enterRole(r, 'router'); enterRole(r, 'circuitBreaker'); enterRole(r, 'backoff'); enterRole(r, 'fallback')
    const s = request()
    enterRole(s, 'router'); enterRole(s, 'fallback')
    expect((s.internal.breakwater as { roles: string[] }).roles).toEqual(['router', 'fallback'])
  })

  it('rejects a policy without the router, a wrong order, a double use and a second router', () => {
    expect(() => enterRole(request(), 'backoff')).toThrow(CompositionError)
    const r = request()
    enterRole(r, 'router'); enterRole(r, 'fallback')
    expect(() => enterRole(r, 'backoff')).toThrow(/backoff\(\) must come before fallback\(\)/)
    const d = request()
    enterRole(d, 'router'); enterRole(d, 'backoff')
    expect(() => enterRole(d, 'backoff')).toThrow(/used twice/)
    expect(() => enterRole(d, 'router')).toThrow(/first Breakwater middleware/)
  })
})
