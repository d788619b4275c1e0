/**
 * router(): chooses the route (an ordered cascade of targets) for the request and puts the invoker on
 * `context.bedrock`. It must be the first Breakwater middleware: the others attach their policies to what it opens.
 */
import type { MiddlewareObj, Request } from '@middy/core'
import type { Context } from 'aws-lambda'
import { BedrockClientPool, type BedrockClientPoolOptions } from '../aws/bedrock-clients.js'
import { converseCall, invokeModelCall } from '../aws/bedrock-calls.js'
import { cascadeListener, type Observability } from '../aws/observability.js'
import { systemClock, type Clock, type Random } from '../core/clock.js'
import { BedrockInvoker, type BedrockCalls } from './bedrock-invoker.js'
import { expectMethods, optionsObject, rejectUnknownKeys } from './options.js'
import { resolveDefaultRoute, resolveRoutes, type RouteSpec } from './routes.js'
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
  /** The route used for every request unless a call names another. Default: `default`, else the first route. */
  readonly defaultRoute?: string
  /** How the Bedrock Runtime clients (one per region, `maxAttempts: 1`) are built. */
  readonly client?: BedrockClientPoolOptions
  /** Time source, for tests and benches. Default: the system clock. */
  readonly clock?: Clock
  /** Random source in [0, 1) for jitter, for tests and benches. Default: Math.random. */
  readonly random?: Random
}

/** The Lambda context as the handler sees it behind router(). */
export type BreakwaterContext = Context & { bedrock: BedrockInvoker }

const KEYS = ['routes', 'defaultRoute', 'client', 'clock', 'random', 'logger', 'metrics'] as const

export function router(options: RouterOptions): MiddlewareObj {
  rejectUnknownKeys(SOURCE, optionsObject(SOURCE, options), KEYS)
  const routes = resolveRoutes(options.routes)
  const route = resolveDefaultRoute(routes, options.defaultRoute)
  expectMethods(SOURCE, 'logger', options.logger, ['debug', 'info', 'warn'])
  expectMethods(SOURCE, 'metrics', options.metrics, ['addMetric'])
  expectMethods(SOURCE, 'clock', options.clock, ['now', 'sleep'])
  // Created once per container, at init: clients (and their connections) are reused across invocations.
  const pool = new BedrockClientPool(options.client ?? {})
  const calls: BedrockCalls = { converse: converseCall(pool), invokeModel: invokeModelCall(pool) }
  const clock = options.clock ?? systemClock
  const random = options.random ?? Math.random
  const listener = cascadeListener(options)

  const breakwaterRouterBefore = (request: Request): void => {
    const state = enterRole(request, 'router')
    const context = request.context as Partial<Context>
    const remainingTimeMs = typeof context.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis.bind(context) : undefined
    ;(request.context as BreakwaterContext).bedrock = new BedrockInvoker({ state, routes, route, calls, clock, random, listener, remainingTimeMs })
  }
  return { name: 'breakwater-router', before: breakwaterRouterBefore }
}
