/**
 * router(): chooses the route (an ordered cascade of targets) for the request and puts the invoker on
 * `context.bedrock`. It must be the first Breakwater middleware: the others attach their policies to what it opens.
 */
import type { MiddlewareObj, Request } from '@middy/core'
import type { Context } from 'aws-lambda'
import { BedrockClientPool, type BedrockClientPoolOptions } from '../aws/bedrock-clients.js'
import { converseCall, invokeModelCall } from '../aws/bedrock-calls.js'
import { canaryListener, cascadeListener, type Observability } from '../aws/observability.js'
import { tracingListener, type TracerLike } from '../aws/tracing.js'
import { guardListener, mergeListeners } from '../core/invoker/listeners.js'
import { LatencyTracker } from '../core/health/latency.js'
import { systemClock, type Clock, type Random } from '../core/clock.js'
import { BedrockInvoker, type BedrockCalls } from './bedrock-invoker.js'
import { parseOptions } from '../core/config/index.js'
import { ROUTER_OPTIONS } from './schema/router.js'
import type { CanarySettings } from '../core/routing/canary.js'
import type { Rule } from '../core/routing/rules.js'
import { resolveDefaultRoute, resolveRoutes, type RouteSpec } from './routes.js'
import { buildChooser, recordingCanary, type RequestKeyFn, type SplitKey } from './routing-options.js'
import { enterRole } from './state.js'

const SOURCE = 'breakwater/router'

export interface RouterOptions extends Observability {
  /**
   * Named routes, each an ordered cascade of targets (`model@region` or `{ model, region, maxTokens?, maxMessages? }`).
   * Put the preferred target first, then another region, then a smaller model, then a cheaper step.
   * @example
   * routes: {
   *   default: [
   *     'us.anthropic.claude-3-5-sonnet-20240620-v1:0@us-east-1',
   *     'us.anthropic.claude-3-5-sonnet-20240620-v1:0@us-west-2',
   *     { model: 'anthropic.claude-3-haiku-20240307-v1:0', region: 'us-east-1', maxTokens: 512 },
   *   ],
   * }
   */
  readonly routes: Readonly<Record<string, RouteSpec>>
  /** The route used when no rule matches and the call names none. Default: `default`, else the first route. */
  readonly defaultRoute?: string
  /**
   * Ordered routing rules, first match wins, else `defaultRoute`. A rule holds when all its predicates do:
   * `inputTokens` / `messages` ranges, `has: 'tools' | 'images' | 'documents'`, `tier`, `custom`.
   * @example
   * rules: [
   *   { route: 'vision', when: { has: 'images' } },
   *   { route: 'large', when: [{ tier: 'pro' }, { inputTokens: { min: 2_000 } }] },
   *   { route: 'small', when: { inputTokens: { max: 300 } } },
   * ]
   */
  readonly rules?: readonly Rule[]
  /**
   * The user tier the `tier` predicate compares. Default: the `custom:tier` authorizer claim (REST/Cognito or HTTP
   * API JWT), else the Lambda authorizer's `tier`, else the `x-user-tier` header.
   * @example tier: (event) => (event as APIGatewayProxyEvent).requestContext.authorizer?.plan
   */
  readonly tier?: RequestKeyFn
  /**
   * The sticky key of blue/green splits: `'user'` (the `sub` claim, else the `x-user-id` header), `'session'`
   * (`x-session-id` header) or a function. Requests without a key go blue. Default `'user'`.
   * @example splitKey: (event) => (event as { body?: string }).body?.length ? undefined : 'anonymous'
   */
  readonly splitKey?: SplitKey
  /**
   * When a green cascade loses its traffic: `maxFailureRateGap` (default 0.1) over the last `window` outcomes per side
   * (100, compared once both have `minSamples`, 20); after such an abort green is retried after `cooldownMs` (60 000).
   * @example canary: { maxFailureRateGap: 0.05 }
   */
  readonly canary?: Partial<CanarySettings>
  /** How the Bedrock Runtime clients (one per region, `maxAttempts: 1`) are built. */
  readonly client?: BedrockClientPoolOptions
  /**
   * A Powertools Tracer: each attempt gets a subsegment annotated with model_id, region, attempt and token counts.
   * @example router({ routes, tracer: new Tracer({ serviceName: 'chat' }) })
   */
  readonly tracer?: TracerLike
  /**
   * Health-aware order: a region whose median latency (in this container, last minute) is more than this many times,
   * and at least 250 ms above, the best median of the same model's other regions sinks below them until its samples
   * age out. Default 2.
   * @example router({ routes, slowFactor: 3 })
   */
  readonly slowFactor?: number
  /** Time source, for tests and benches. Default: the system clock. */
  readonly clock?: Clock
  /** Random source in [0, 1) for jitter, for tests and benches. Default: Math.random. */
  readonly random?: Random
}

/** The Lambda context as the handler sees it behind router(). */
export type BreakwaterContext = Context & { bedrock: BedrockInvoker }

export function router(options: RouterOptions): MiddlewareObj {
  options = parseOptions(ROUTER_OPTIONS, options, SOURCE)
  const routes = resolveRoutes(options.routes)
  const defaultRoute = resolveDefaultRoute(routes, options.defaultRoute)
  const slowFactor = options.slowFactor
  const clock = options.clock ?? systemClock
  // Per container: the latencies of this container's calls, which order a route's regions by health.
  const latency = new LatencyTracker({ clock })
  const chooser = buildChooser(options, routes, defaultRoute, clock, canaryListener(options))
  // Created once per container, at init: clients (and their connections) are reused across invocations.
  const pool = new BedrockClientPool(options.client === undefined ? {} : options.client)
  const calls: BedrockCalls = { converse: converseCall(pool), invokeModel: invokeModelCall(pool) }
  const random = options.random ?? Math.random
  const listener = guardListener(recordingCanary(chooser, mergeListeners(cascadeListener(options), options.tracer && tracingListener(options.tracer, { errorMessages: options.logErrorMessages === true }))))
  const breakwaterRouterBefore = (request: Request): void => {
    const state = enterRole(request, 'router')
    // The route is chosen when converse()/invokeModel() is called: input rules need the input, and the breaker
    // (for the canary) is in the request state only once circuitBreaker()'s before has run.
    state.routing = chooser.forRequest(request.event, request.context)
    const context = request.context as Partial<Context>
    const remainingTimeMs = typeof context.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis.bind(context) : undefined
    ;(request.context as BreakwaterContext).bedrock = new BedrockInvoker({ state, routes, route: defaultRoute, calls, clock, random, listener, remainingTimeMs, latency, ...(slowFactor !== undefined && { slowFactor }) })
  }
  return { name: 'breakwater-router', before: breakwaterRouterBefore }
}
