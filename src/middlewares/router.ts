/**
 * router(): chooses the route (an ordered cascade of targets) for the request and puts the invoker on
 * `context.bedrock`. It must be the first Breakwater middleware: the others attach their policies to what it opens.
 */
import type { MiddlewareObj, Request } from '@middy/core'
import { BedrockClientPool, type BedrockClientPoolOptions } from '../aws/bedrock-clients.js'
import { converseCall, invokeModelCall } from '../aws/bedrock-calls.js'
import { converseStreamCall } from '../aws/bedrock-stream.js'
import { canaryListener, cascadeListener, type Observability } from '../aws/observability.js'
import { tracingListener, type TracerLike } from '../aws/tracing.js'
import { guardListener, mergeListeners } from '../core/invoker/listeners.js'
import { LatencyTracker } from '../core/health/latency.js'
import { systemClock, type Clock, type Random } from '../core/clock.js'
import type { EngineCalls, RouterPart } from '../core/engine/engine.js'
import { StackNode } from '../core/engine/stack.js'
import { parseOptions } from '../core/config/index.js'
import { ROUTER_OPTIONS } from './schema/router.js'
import type { CanarySettings } from '../core/routing/canary.js'
import type { Rule } from '../core/routing/rules.js'
import { resolveDefaultRoute, resolveRoutes, type RouteSpec } from './routes.js'
import { buildChooser, type RequestKeyFn, type SplitKey } from './routing-options.js'
import { openInvocation } from './stack.js'

export type { BreakwaterContext } from './stack.js'

const SOURCE = 'breakwater/router'

export interface RouterOptions extends Observability {
  /**
   * Named routes, each an ordered cascade of targets (`model@region` or
   * `{ model, region, maxTokens?, maxMessages?, contextWindow?, quota? }`;
   * `quota: { requestsPerMinute?, tokensPerMinute? }` is the target's known Bedrock quota, kept fleet-wide: docs/quotas.md).
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
  /**
   * Also add `UpstreamLatency` (Milliseconds) to `metrics` for every call that reached Bedrock. Default `false`: on
   * the happy path Breakwater adds no metric at all, so a function that published none publishes none (each EMF
   * line is a log line, serialised per invocation and paid for in CloudWatch Logs); Bedrock's own
   * `AWS/Bedrock` `InvocationLatency` metric already times every call per model.
   * @example router({ routes, metrics, latencyMetric: true })
   */
  readonly latencyMetric?: boolean
  /** Time source, for tests and benches. Default: the system clock. */
  readonly clock?: Clock
  /** Random source in [0, 1) for jitter, for tests and benches. Default: Math.random. */
  readonly random?: Random
}

export function router(options: RouterOptions): MiddlewareObj {
  const root = StackNode.root(routerPart(options))
  const breakwaterRouterBefore = (request: Request): void => openInvocation(request, root)
  return { name: 'breakwater-router', before: breakwaterRouterBefore }
}

/** The router's immutable part of an engine, built once per container from its options (checked here). */
export function routerPart(given: RouterOptions): RouterPart {
  const options = parseOptions(ROUTER_OPTIONS, given, SOURCE)
  const routes = resolveRoutes(options.routes)
  const defaultRoute = resolveDefaultRoute(routes, options.defaultRoute)
  const slowFactor = options.slowFactor
  const clock = options.clock ?? systemClock
  const chooser = buildChooser(options, routes, defaultRoute, clock, canaryListener(options))
  // Created once per container, at init: clients (and their connections) are reused across invocations.
  const pool = new BedrockClientPool(options.client === undefined ? {} : options.client)
  const tracing = options.tracer && tracingListener(options.tracer, { errorMessages: options.logErrorMessages === true })
  return Object.freeze({
    routes,
    defaultRoute,
    // Without rules or a green route there is nothing to choose: a call's route is the named or default one.
    chooser: chooser.settings.rules.length > 0 || chooser.settings.splits.size > 0 ? chooser : undefined,
    calls: {
      converse: converseCall(pool), converseStream: converseStreamCall(pool), invokeModel: invokeModelCall(pool),
    } as unknown as EngineCalls,
    clock,
    random: options.random ?? Math.random,
    listener: guardListener(mergeListeners(cascadeListener(options), tracing)),
    // Per container: the latencies of this container's calls, which order a route's regions by health.
    latency: new LatencyTracker({ clock }),
    // Streams' times to first token, apart: a stream's attempt ends at its first token (what a stream hedge waits on).
    firstTokens: new LatencyTracker({ clock }),
    slowFactor,
  })
}
