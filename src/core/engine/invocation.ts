/**
 * `context.bedrock`: what the handler calls instead of `client.send(...)`. One per invocation, holding only what the
 * invocation binds (event, context, the stack it runs in); every call walks the chosen route's cascade through the
 * stack's engine. Typed for users by src/aws/bedrock-api.ts; structural here, since core imports no SDK.
 */
import { AllTargetsFailedError, BreakwaterConfigError, MalformedOutputError } from '../errors.js'
import { replyCacheKey } from '../fallback/cache-key.js'
import { converseStopReason, InterventionError, markedIntervention } from '../stop-reason.js'
import { converseAdapter, converseUsage } from '../invoker/converse-adapter.js'
import type { CallFn, InputAdapter, Served } from '../invoker/types.js'
import { loadSchemaValidator, structuredOutput, type JsonSchema, type StructuredOutput } from '../output/json-schema.js'
import { extractText, type ConverseOutputLike } from '../output/text.js'
import type { ConverseLike } from '../fallback/messages.js'
import type { RequestRouting} from '../routing/chooser.js';
import type { RouteChooser } from '../routing/chooser.js'
import type { Binding, CallExtras, Engine } from './engine.js'
import type { Role, StackNode } from './stack.js'
import { openStream, type StreamCallOptions } from '../stream/call.js'
import type { StreamEventLike } from '../stream/events.js'
import type { StreamReply } from '../stream/reply.js'

type ConverseIn = ConverseLike & { readonly system?: readonly object[]; readonly requestMetadata?: unknown }
type ConverseOut = ConverseOutputLike & object

/** Per-call options of both calls. */
export interface CallOptionsLike {
  readonly signal?: AbortSignal
  readonly route?: string
}
export interface ConverseOptionsLike<O> extends CallOptionsLike {
  readonly validate?: (text: string, output: O) => void
  readonly responseSchema?: JsonSchema
}

/** A good reply as kept in the cache (a private copy: the handler may mutate the reply it was given). */
interface CachedReply {
  readonly output: ConverseOut
  readonly text: string
  readonly json?: unknown
  readonly served: Served
}

const NO_OPTIONS: ConverseOptionsLike<ConverseOut> = Object.freeze({})
/** InvokeModel's body is read by its call adapter, which fails a failing stop reason and marks an intervention. */
const INVOKE_EXTRAS: CallExtras<object, object> = Object.freeze({ stopReason: markedIntervention })

/**
 * Only answers served as asked are worth replaying: the first target's, or another target's (same prompt, same
 * token limit), at whatever service tier. A shortened history or a smaller `maxTokens` made a lesser answer, not the
 * last good one; a guardrail's or content filter's message is no answer at all.
 */
export const isCacheable = (served: Served): boolean =>
  served.intervened === undefined && served.degradations.every((d) => d === 'fallback-target' || d === 'downgraded-tier')

export class Invocation implements Binding {
  /** The stack this invocation runs in; each policy middleware's `before` moves it one step. */
  node: StackNode
  readonly event: unknown
  readonly context: unknown
  #routing: RequestRouting | undefined

  constructor(node: StackNode, event: unknown, context: unknown) {
    this.node = node
    this.event = event
    this.context = context
  }

  /** The roles in force, in order (tests and diagnostics). */
  get roles(): readonly Role[] {
    return this.node.roles
  }

  remainingTimeMs(): number | undefined {
    const context = this.context as { getRemainingTimeInMillis?: () => number } | undefined
    return typeof context?.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() : undefined
  }

  routing(chooser: RouteChooser): RequestRouting {
    return (this.#routing ??= chooser.forRequest(this.event, this.context))
  }

  async converse(input: ConverseIn, options: ConverseOptionsLike<ConverseOut> = NO_OPTIONS): Promise<object> {
    const engine = this.node.engine()
    const chosen = engine.route(this, input, options.route)
    const route = chosen instanceof Promise ? await chosen : chosen
    const schema = options.responseSchema
    if (schema !== undefined) await loadSchemaValidator()
    const structured = schema === undefined ? undefined : structuredOutput(schema) // a bad schema throws before any call
    const cache = engine.fallback?.cache
    const key = cache === undefined ? undefined : replyCacheKey(cache.digest(), route.name, input, schema)
    const checked = structured !== undefined || options.validate !== undefined
    const json = checked ? new WeakMap<ConverseOut, unknown>() : undefined
    const call = engine.router.calls.converse as unknown as CallFn<ConverseIn, ConverseOut>
    let result
    try {
      // A plain call's extras are the engine's, made once; a checked one's carry its schema and validator.
      const extras = !checked ? engine.converseExtras as CallExtras<ConverseIn, ConverseOut> : {
        adapter: structured === undefined
          ? engine.converseAdapter as InputAdapter<ConverseIn>
          : converseAdapter<ConverseIn>(engine.fallback?.policy, structured.format),
        measure: converseUsage,
        stopReason: structured === undefined ? converseStopReason.plain : converseStopReason.structured,
        validate: validator(structured, options.validate, json as WeakMap<ConverseOut, unknown>),
      }
      result = await engine.run(this, route, input, call, extras, options.signal)
    } catch (error) {
      // Only a request nobody could serve falls back to the cache: never a caller fault, an abort or a bug.
      const hit = error instanceof AllTargetsFailedError && key !== undefined
        ? cache?.replies.get(key, engine.router.clock.now()) as CachedReply | undefined
        : undefined
      if (!hit) throw error
      return fromCache(engine, hit, error as AllTargetsFailedError)
    }
    // A reply that must validate has none to give when a guardrail or the content filter replaced it.
    if (checked && result.served.intervened !== undefined) throw new InterventionError(result.served)
    const text = extractText(result.output)
    const reply = structured === undefined
      ? { ...result.output, text, served: result.served }
      : { ...result.output, text, served: result.served, json: json?.get(result.output) }
    if (key !== undefined && isCacheable(reply.served)) {
      const kept: CachedReply = structured === undefined
        ? { output: result.output, text, served: result.served }
        : { output: result.output, text, served: result.served, json: json?.get(result.output) }
      cache?.replies.set(key, structuredClone(kept), engine.router.clock.now())
    }
    return reply
  }

  /**
   * ConverseStream through the route's cascade: resolves at the first token (every failure before it is handled
   * like a `converse` failure); the reply then streams, and is complete only if it ends with `messageStop`.
   */
  converseStream(input: ConverseIn, options?: StreamCallOptions): Promise<StreamReply<ConverseIn, StreamEventLike>> {
    return openStream(this.node.engine(), this, input, options)
  }

  /**
   * InvokeModel with a raw body. Raw bodies are model-family specific, so the route must hold one family only
   * (checked at init for routes declared `invokeModel: true`, and here for others).
   */
  async invokeModel(input: object, options: CallOptionsLike = {}): Promise<object> {
    const engine = this.node.engine()
    // A raw body has no messages to estimate from: input rules see none (undefined), only event rules apply.
    const chosen = engine.route(this, undefined, options.route)
    const route = chosen instanceof Promise ? await chosen : chosen
    if (route.families.length > 1) {
      throw new BreakwaterConfigError(
        'breakwater/router',
        `routes.${route.name}`,
        `mixes model families (${route.families.join(', ')}); invokeModel() can only fall back within one family — use converse() or split the route`,
      )
    }
    const call = engine.router.calls.invokeModel as unknown as CallFn<object, object>
    const result = await engine.run(this, route, input, call, INVOKE_EXTRAS, options.signal)
    return { ...result.output, served: result.served }
  }
}

/**
 * The engine's check of each Converse output: the schema first (its parsed value kept for the reply), then the
 * caller's own `validate`. Either rejection is malformed output.
 */
function validator(
  structured: StructuredOutput | undefined,
  validate: ConverseOptionsLike<ConverseOut>['validate'],
  json: WeakMap<ConverseOut, unknown>,
) {
  return (output: ConverseOut): void => {
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

/** The cached reply, as served now: where it came from, this request's calls, degraded `cached`. */
function fromCache(engine: Engine, hit: CachedReply, error: AllTargetsFailedError): object {
  const copy = structuredClone(hit)
  const served: Served = {
    route: copy.served.route, model: copy.served.model, region: copy.served.region,
    attempts: error.attempts.filter((a) => !a.outcome.startsWith('skipped')).length,
    degraded: 'cached', degradations: ['cached'],
  }
  engine.served(served)
  return 'json' in copy ? { ...copy.output, text: copy.text, served, json: copy.json } : { ...copy.output, text: copy.text, served }
}
