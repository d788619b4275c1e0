/**
 * breakwater(): the preset. Composes router → circuitBreaker → backoff → fallback → gracefulDegradation in the one
 * order that works, sharing one Logger, Metrics, clock and random source between them.
 */
import type { MiddlewareObj, Request } from '@middy/core'
import type { Observability } from '../aws/observability.js'
import type { Clock, Random } from '../core/clock.js'
import { backoffPart, type BackoffOptions } from './backoff.js'
import { breakerPart, type CircuitBreakerOptions } from './circuit-breaker.js'
import { fallbackPart, type FallbackOptions } from './fallback.js'
import { gracefulDegradation, type GracefulDegradationOptions } from './graceful-degradation.js'
import { parseOptions } from '../core/config/index.js'
import { BREAKWATER_OPTIONS } from './schema/breakwater.js'
import { ROUTER_FIELDS } from './schema/router.js'
import { DEFAULT_BACKOFF_POLICY } from '../core/backoff/types.js'
import { leaseForAttempt } from '../core/breaker/fleet.js'
import { routerPart, type RouterOptions } from './router.js'
import { StackNode } from '../core/engine/stack.js'
import { openInvocation } from './stack.js'

/**
 * Options of the preset. `routes` is required; every policy has working defaults, and `false` leaves a middleware out.
 * @example
 * middy(handler).use(breakwater({
 *   routes: {
 *     default: ['us.anthropic.claude-3-5-haiku-20241022-v1:0@us-east-1', 'us.anthropic.claude-3-5-haiku-20241022-v1:0@us-west-2'],
 *   },
 *   backoff: { maxAttempts: 3 },
 *   logger, metrics,
 * }))
 */
export interface BreakwaterOptions extends Observability {
  /**
   * Named routes, each an ordered cascade of targets: `'model@region'` or
   * `{ model, region, maxTokens?, maxMessages?, contextWindow?, quota? }`, preferred first. A route may also be
   * `{ targets, invokeModel: true }` to serve `invokeModel()` raw bodies (one model family only). Passed to
   * {@link router}; see {@link RouterOptions.routes}.
   * @example
   * ```ts
   * routes: {
   *   default: [
   *     'us.anthropic.claude-3-5-haiku-20241022-v1:0@us-east-1',                     // preferred
   *     'us.anthropic.claude-3-5-haiku-20241022-v1:0@us-west-2',                     // other region
   *     { model: 'amazon.nova-micro-v1:0', region: 'us-east-1', maxTokens: 512 },   // smaller, cheaper
   *   ],
   *   premium: ['us.anthropic.claude-3-5-sonnet-20240620-v1:0@us-east-1', 'us.anthropic.claude-3-5-sonnet-20240620-v1:0@us-west-2'],
   * }
   * ```
   */
  readonly routes: RouterOptions['routes']
  /**
   * The route of every call that names none (`converse(input, { route })` names one). It must be a key of `routes`.
   * See {@link RouterOptions.defaultRoute}.
   * @defaultValue `'default'` when there is such a route, else the first route
   */
  readonly defaultRoute?: string
  /**
   * How the Bedrock Runtime clients (one per region, SDK retries off) are built: `clientConfig` for extra client
   * settings, or `factory` for clients you build yourself with `maxAttempts: 1`. See {@link RouterOptions.client}.
   * @defaultValue `{}`: a default `BedrockRuntimeClient` per region
   */
  readonly client?: RouterOptions['client']
  /** Rules choosing the route per request (input size, messages, tools/images/documents, tier, custom). See {@link RouterOptions.rules}. */
  readonly rules?: RouterOptions['rules']
  /** How the user tier is read from the event. See {@link RouterOptions.tier}. */
  readonly tier?: RouterOptions['tier']
  /** The key that keeps a user on one side of a blue/green split. See {@link RouterOptions.splitKey}. */
  readonly splitKey?: RouterOptions['splitKey']
  /** When green traffic is withdrawn automatically. See {@link RouterOptions.canary}. */
  readonly canary?: RouterOptions['canary']
  /** A Powertools Tracer: one subsegment per attempt. See {@link RouterOptions.tracer}. */
  readonly tracer?: RouterOptions['tracer']
  /** How much slower than its sibling regions a region may be before it sinks. See {@link RouterOptions.slowFactor}. */
  readonly slowFactor?: RouterOptions['slowFactor']
  /** Also add `UpstreamLatency` per Bedrock call (default off). See {@link RouterOptions.latencyMetric}. */
  readonly latencyMetric?: RouterOptions['latencyMetric']
  /** Circuit breaker options, or `false` for none. */
  readonly breaker?: Omit<CircuitBreakerOptions, 'logger' | 'metrics' | 'clock' | 'logErrorMessages'> | false
  /** Backoff and retry-budget options, or `false` for no retries. */
  readonly backoff?: Omit<BackoffOptions, 'clock'> | false
  /** Fallback options, or `false` to use only each route's first target. */
  readonly fallback?: FallbackOptions | false
  /** Graceful reply options, or `false` to let errors propagate to your own onError. */
  readonly degradation?: Omit<GracefulDegradationOptions, 'logger' | 'metrics' | 'logErrorMessages'> | false
  /** Time source, for tests and benches. */
  readonly clock?: Clock
  /** Random source in [0, 1), for tests and benches. */
  readonly random?: Random
}

/**
 * The preset knows every policy at creation, so its engine is compiled here, once: per invocation its one `before`
 * opens the invocation at the full stack, and gracefulDegradation answers on error.
 */
export function breakwater(options: BreakwaterOptions): MiddlewareObj[] {
  const given = parseOptions(BREAKWATER_OPTIONS, options, 'breakwater')
  const { logger, metrics, clock, logErrorMessages } = given
  // `!== undefined`, not truthiness: `logger: null` or `random: 0` is a mistake to report, not an option to drop.
  const observability: { -readonly [K in keyof Observability]: Observability[K] } = {}
  if (logger !== undefined) observability.logger = logger
  if (metrics !== undefined) observability.metrics = metrics
  if (logErrorMessages !== undefined) observability.logErrorMessages = logErrorMessages
  const time = clock !== undefined ? { clock } : {}
  // The router takes the preset's top-level keys it knows (its schema's fields), shared ones included.
  const routerOptions: Record<string, unknown> = {}
  for (const key of Object.keys(ROUTER_FIELDS) as (keyof typeof given)[]) {
    if (given[key] !== undefined) routerOptions[key] = given[key]
  }
  // A probe's permit must outlive its attempt: the preset knows both (a shorter explicit lease is a schema error).
  const attemptTimeoutMs = given.backoff === false
    ? undefined
    : (given.backoff?.attemptTimeoutMs ?? DEFAULT_BACKOFF_POLICY.attemptTimeoutMs)
  let node = StackNode.root(routerPart(routerOptions as unknown as RouterOptions))
  // Every group was checked by the preset's schema above, with its prefix (`breaker.cooldownMs`).
  const group = <T>(value: T | false | undefined, add: (v: T) => StackNode): void => {
    if (value !== false) node = add((value ?? {}) as T)
  }
  group<CircuitBreakerOptions>(given.breaker, (b) => {
    const breaker: CircuitBreakerOptions = { ...b, ...observability, ...time }
    const permitLeaseMs = leaseForAttempt(b.permitLeaseMs, attemptTimeoutMs)
    return node.then('circuitBreaker', breakerPart(permitLeaseMs === undefined ? breaker : { ...breaker, permitLeaseMs }))
  })
  group<BackoffOptions>(given.backoff, (b) => node.then('backoff', backoffPart({ ...b, ...time })))
  group<FallbackOptions>(given.fallback, (f) => node.then('fallback', fallbackPart(f)))
  const stack = node
  stack.engine()
  const breakwaterBefore = (request: Request): void => openInvocation(request, stack)
  const middlewares: MiddlewareObj[] = [{ name: 'breakwater', before: breakwaterBefore }]
  const degradation = given.degradation
  if (degradation !== false) {
    middlewares.push(gracefulDegradation({ ...degradation, ...observability }))
  }
  return middlewares
}
