import { BreakwaterConfigError, CompositionError } from '../../src/core/errors.js'
import { parseOptions } from '../../src/core/config/index.js'
import { resolveDefaultRoute, resolveRoutes } from '../../src/middlewares/routes.js'
import { missingRouter, secondRouter, StackNode } from '../../src/core/engine/stack.js'
import { backoffPart } from '../../src/middlewares/backoff.js'
import { breakerPart } from '../../src/middlewares/circuit-breaker.js'
import { fallbackPart } from '../../src/middlewares/fallback.js'
import { routerPart } from '../../src/middlewares/router.js'
import { ROUTER_OPTIONS } from '../../src/middlewares/schema/router.js'

const fieldOf = (fn: () => unknown): string => {
  try { fn() } catch (e) { if (e instanceof BreakwaterConfigError) return e.field; throw e }
  throw new Error('did not throw')
}

describe('resolveRoutes', () => {
  it('accepts lists and { targets, invokeModel } and records families', () => {
    const routes = resolveRoutes({
      default: [
        'anthropic.claude-3-haiku-20240307-v1:0@us-east-1',
        { model: 'amazon.nova-micro-v1:0', region: 'us-west-2', maxTokens: 200 },
      ],
      raw: {
        targets: ['anthropic.claude-3-haiku-20240307-v1:0@us-east-1', 'us.anthropic.claude-3-5-haiku-20241022-v1:0@us-east-2'],
        invokeModel: true,
      },
    })
    expect(routes.get('default')!.families).toEqual(['anthropic.claude', 'amazon.nova'])
    expect(routes.get('raw')!.targets).toHaveLength(2)
  })

  // The router's schema checks routes before they are resolved.
  const checked = (routes: unknown, defaultRoute?: unknown) => () => {
    const options: Record<string, unknown> = { routes }
    if (defaultRoute !== undefined) options.defaultRoute = defaultRoute
    return parseOptions(ROUTER_OPTIONS, options as never)
  }

  it('rejects empty routes, empty cascades, unknown route keys and mixed families for invokeModel', () => {
    expect(fieldOf(checked({}))).toBe('routes')
    expect(fieldOf(checked(undefined))).toBe('routes')
    expect(fieldOf(checked({ chat: [] }))).toBe('routes.chat')
    expect(fieldOf(checked({ chat: { targets: ['m@us-east-1'], weight: 5 } }))).toBe('routes.chat.weight')
    const mixed = { targets: ['anthropic.claude-3@us-east-1', 'amazon.nova-lite-v1:0@us-east-1'], invokeModel: true }
    expect(fieldOf(checked({ raw: mixed }))).toBe('routes.raw.targets')
  })

  it('picks the default route and rejects one naming a missing route', () => {
    const routes = resolveRoutes({ chat: ['m.x@us-east-1'], default: ['m.y@us-east-1'] })
    expect(resolveDefaultRoute(routes, undefined)).toBe('default')
    expect(resolveDefaultRoute(resolveRoutes({ chat: ['m.x@us-east-1'] }), undefined)).toBe('chat')
    expect(fieldOf(checked({ chat: ['m.x@us-east-1'], default: ['m.y@us-east-1'] }, 'nope'))).toBe('defaultRoute')
  })
})

describe('StackNode (composition order, checked once per stack)', () => {
  const root = () => StackNode.root(routerPart({ routes: { default: ['m.x@us-east-1'] } }))
  const parts = { circuitBreaker: breakerPart(), backoff: backoffPart(), fallback: fallbackPart() }

  it('accepts the documented order and any subset of it, and reuses the node of a stack it has seen', () => {
    const full = root().then('circuitBreaker', parts.circuitBreaker).then('backoff', parts.backoff).then('fallback', parts.fallback)
    expect(full.roles).toEqual(['router', 'circuitBreaker', 'backoff', 'fallback'])
    const r = root()
    const s = r.then('fallback', parts.fallback)
    expect(s.roles).toEqual(['router', 'fallback'])
    expect(r.then('fallback', parts.fallback)).toBe(s)
    expect(s.engine()).toBe(s.engine())
  })

  it('rejects a wrong order and a double use; the router-side errors name what ran', () => {
    const r = root().then('fallback', parts.fallback)
    expect(() => r.then('backoff', parts.backoff)).toThrow(/backoff\(\) must come before fallback\(\)/)
    const d = root().then('backoff', parts.backoff)
    expect(() => d.then('backoff', backoffPart())).toThrow(/used twice/)
    expect(missingRouter('backoff')).toBeInstanceOf(CompositionError)
    expect(secondRouter(d.roles).message).toMatch(/first Breakwater middleware and used once; it ran after router\(\), backoff\(\)/)
  })
})
