/**
 * `context.bedrock`: what the handler calls instead of `client.send(...)`. Each call walks the chosen route's
 * cascade under the policies the middlewares put into the request state.
 */
import type { ConverseCommandOutput, InvokeModelCommandOutput } from '@aws-sdk/client-bedrock-runtime'
import { extractText, type ConverseInput, type InvokeModelInput } from '../aws/bedrock-calls.js'
import { Deadline } from '../core/backoff/deadline.js'
import { MAX_LAMBDA_MS } from '../core/backoff/policy.js'
import { DEFAULT_BACKOFF_POLICY } from '../core/backoff/types.js'
import type { Clock, Random } from '../core/clock.js'
import { AllTargetsFailedError, BreakwaterConfigError, MalformedOutputError } from '../core/errors.js'
import type { LatencyTracker } from '../core/health/latency.js'
import { orderCascade } from '../core/health/order.js'
import { runCascade } from '../core/invoker/cascade.js'
import { converseAdapter, converseUsage } from '../core/invoker/converse-adapter.js'
import type { CallFn, CascadeListener, CascadeRequest, CascadeResult, Served } from '../core/invoker/types.js'
import { loadSchemaValidator, structuredOutput, type JsonSchema, type StructuredOutput } from '../core/output/json-schema.js'
import { isCacheable, replyCacheKey, type CachedConverse } from './reply-cache.js'
import type { ResolvedRoute } from './routes.js'
import type { BreakwaterState } from './state.js'

export type { ConverseInput, InvokeModelInput, JsonSchema }

/** Per-call options. */
export interface CallOptions {
  /** Aborts the whole call, waits included. Pass Middy's signal: `middy(async (event, context, { signal }) => ...)`. */
  readonly signal?: AbortSignal
  /** Use this route instead of the one the router chose for the request. */
  readonly route?: string
}

/** Per-call options of `converse`. */
export interface ConverseOptions extends CallOptions {
  /**
   * Checks the reply; throw to reject it as malformed output. A rejected reply is re-asked with the reason
   * (`fallback.malformedRetries` times), then the next target is tried.
   * @example validate: (text) => { JSON.parse(text) }
   */
  readonly validate?: (text: string, output: ConverseCommandOutput) => void
  /**
   * Structured output: the reply must be JSON (alone, or as one ```json fenced block; whitespace around is fine)
   * valid against this JSON Schema (checked by ajv; `format` is not checked). A reply that is not is re-asked with
   * the reason and the schema (`fallback.malformedRetries` times), then the next target is tried. The parsed value is
   * `reply.json`. Each schema object is compiled once per container: declare it at module scope, not per call.
   * @example
   * const ORDER = { type: 'object', required: ['total'], properties: { total: { type: 'integer' } } }
   * const { json } = await context.bedrock.converse<{ total: number }>(input, { responseSchema: ORDER })
   */
  readonly responseSchema?: JsonSchema
}

/** What `converse` returns: the SDK's output, the reply's text, and where it was served. */
export type ConverseReply = ConverseCommandOutput & { readonly text: string; readonly served: Served }
/** What `converse` returns with a `responseSchema`: also the reply's JSON, valid against the schema. */
export type StructuredReply<T = unknown> = ConverseReply & { readonly json: T }
/** What `invokeModel` returns: the SDK's output and where it was served. */
export type InvokeModelReply = InvokeModelCommandOutput & { readonly served: Served }

/** The two ways to reach Bedrock, each sending one attempt to one target. */
export interface BedrockCalls {
  readonly converse: CallFn<ConverseInput, ConverseCommandOutput>
  readonly invokeModel: CallFn<InvokeModelInput, InvokeModelCommandOutput>
}


/**
 * The engine's check of each Converse output: the schema first (its parsed value kept for the reply), then the
 * caller's own `validate`. Either rejection is malformed output.
 */
function validator(
  structured: StructuredOutput | undefined,
  validate: ConverseOptions['validate'],
  json: WeakMap<ConverseCommandOutput, unknown>,
): (output: ConverseCommandOutput) => void {
  return (output) => {
    const text = extractText(output)
    if (structured) json.set(output, structured.parse(text))
    if (!validate) return
    try {
      validate(text, output)
    } catch (cause) {
      throw new MalformedOutputError(cause instanceof Error ? cause.message : String(cause), text, cause)
    }
  }
}

export interface InvokerDeps {
  readonly state: BreakwaterState
  readonly routes: ReadonlyMap<string, ResolvedRoute>
  readonly route: string
  readonly calls: BedrockCalls
  readonly clock: Clock
  readonly random: Random
  readonly listener: CascadeListener
  readonly remainingTimeMs: (() => number) | undefined
  /** This container's per-target latencies: health-aware order and deadline-planned maxTokens. */
  readonly latency: LatencyTracker
  readonly slowFactor?: number
}

export class BedrockInvoker {
  constructor(private readonly deps: InvokerDeps) {}

  /**
   * Calls the Converse API through the route's cascade. With `responseSchema`, the reply's JSON is `reply.json`
   * (typed by `T`, which is not checked beyond the schema). With `fallback({ cache })`, a request every target
   * failed is answered from the last good reply to it, if there is one (`served.degraded: 'cached'`).
   */
  converse<T = unknown>(input: ConverseInput, options: ConverseOptions & { readonly responseSchema: JsonSchema }): Promise<StructuredReply<T>>
  converse(input: ConverseInput, options?: ConverseOptions): Promise<ConverseReply>
  async converse(input: ConverseInput, given: ConverseOptions = {}): Promise<ConverseReply | StructuredReply> {
    const options = { ...given, route: await this.pick(input, given.route) }
    const schema = options.responseSchema
    if (schema !== undefined) await loadSchemaValidator()
    const structured = schema === undefined ? undefined : structuredOutput(schema) // a bad schema throws before any call
    const json = new WeakMap<ConverseCommandOutput, unknown>()
    const cache = this.deps.state.replyCache
    const key = cache && replyCacheKey(this.resolve(options.route).name, input, schema)
    let result: CascadeResult<ConverseCommandOutput>
    try {
      result = await runCascade(this.request(input, this.deps.calls.converse, options, {
        adapter: converseAdapter<ConverseInput>(this.deps.state.fallback, structured?.format),
        measure: converseUsage,
        ...((structured || options.validate) && { validate: validator(structured, options.validate, json) }),
      }))
    } catch (error) {
      // Only a request nobody could serve falls back to the cache: never a caller fault, an abort or a bug.
      const hit = error instanceof AllTargetsFailedError && key !== undefined ? cache?.get(key, this.deps.clock.now()) : undefined
      if (!hit) throw error
      return this.fromCache(hit, error as AllTargetsFailedError)
    }
    const reply = {
      ...result.output, text: extractText(result.output), served: result.served,
      ...(structured && { json: json.get(result.output) }),
    }
    if (key !== undefined && isCacheable(reply.served)) {
      cache?.set(key, structuredClone({ output: result.output, text: reply.text, served: reply.served, ...(structured && { json: reply.json }) }), this.deps.clock.now())
    }
    return reply
  }

  /**
   * Calls InvokeModel with a raw body through the route's cascade. Raw bodies are model-family specific, so the
   * route must hold one family only (checked at init for routes declared `invokeModel: true`, and here for others).
   */
  async invokeModel(input: InvokeModelInput, given: CallOptions = {}): Promise<InvokeModelReply> {
    // A raw body has no messages to estimate from: input rules see none (undefined), only event rules apply.
    const options = { ...given, route: await this.pick(undefined, given.route) }
    const route = this.resolve(options.route)
    if (route.families.length > 1) {
      throw new BreakwaterConfigError('breakwater/router', `routes.${route.name}`, `mixes model families (${route.families.join(', ')}); invokeModel() can only fall back within one family — use converse() or split the route`)
    }
    const result = await runCascade(this.request(input, this.deps.calls.invokeModel, options, {}))
    return { ...result.output, served: result.served }
  }

  /** The cached reply, as served now: where it came from, this request's calls, degraded `cached`. */
  private fromCache(hit: CachedConverse, error: AllTargetsFailedError): ConverseReply | StructuredReply {
    const copy = structuredClone(hit)
    const served: Served = {
      route: copy.served.route, model: copy.served.model, region: copy.served.region,
      attempts: error.attempts.filter((a) => !a.outcome.startsWith('skipped')).length,
      degraded: 'cached', degradations: ['cached'],
    }
    this.deps.listener.served?.(served)
    return { ...copy.output, text: copy.text, served, ...('json' in copy && { json: copy.json }) }
  }

  /** The route for this call: the router's rules and blue/green split when it has them, else the named or default one. */
  private async pick(input: unknown, named: string | undefined): Promise<string> {
    const { state } = this.deps
    return state.routing ? state.routing.chooseRoute(input, named, state.breaker?.breaker) : (named ?? this.deps.route)
  }

  private resolve(name: string | undefined): ResolvedRoute {
    const routeName = name ?? this.deps.route
    const route = this.deps.routes.get(routeName)
    if (!route) throw new BreakwaterConfigError('breakwater/router', 'route', `"${routeName}" is not a configured route (have: ${[...this.deps.routes.keys()].join(', ')})`)
    return route
  }

  private request<I, O>(input: I, call: CallFn<I, O>, options: CallOptions, extra: Pick<CascadeRequest<I, O>, 'adapter' | 'validate' | 'measure'>): CascadeRequest<I, O> {
    const { state, clock } = this.deps
    const route = this.resolve(options.route)
    const reserveMs = state.backoff?.policy.reserveMs ?? DEFAULT_BACKOFF_POLICY.reserveMs
    const deadline = new Deadline(clock, this.deps.remainingTimeMs?.() ?? MAX_LAMBDA_MS /* no Lambda context (a test, a script): Lambda's longest timeout */, reserveMs)
    return {
      route: route.name,
      ...orderCascade(route.targets, route.ownTargets, this.deps.latency, this.deps.slowFactor === undefined ? {} : { slowFactor: this.deps.slowFactor }),
      latency: this.deps.latency,
      input,
      call,
      policies: {
        ...(state.breaker && { breaker: state.breaker.breaker, breakerClasses: state.breaker.failureClasses }),
        ...(state.breaker?.slowCallMs !== undefined && { slowCallMs: state.breaker.slowCallMs }),
        ...(state.backoff && { backoff: state.backoff }),
        ...(state.fallback && { fallback: state.fallback }),
      },
      deadline,
      clock,
      random: this.deps.random,
      listener: this.deps.listener,
      ...(options.signal && { signal: options.signal }),
      ...extra,
    }
  }
}
