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
import { BreakwaterConfigError, MalformedOutputError } from '../core/errors.js'
import { runCascade } from '../core/invoker/cascade.js'
import { converseAdapter } from '../core/invoker/converse-adapter.js'
import type { CallFn, CascadeListener, CascadeRequest, Served } from '../core/invoker/types.js'
import type { ResolvedRoute } from './routes.js'
import type { BreakwaterState } from './state.js'

export type { ConverseInput, InvokeModelInput }

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
}

/** What `converse` returns: the SDK's output, the reply's text, and where it was served. */
export type ConverseReply = ConverseCommandOutput & { readonly text: string; readonly served: Served }
/** What `invokeModel` returns: the SDK's output and where it was served. */
export type InvokeModelReply = InvokeModelCommandOutput & { readonly served: Served }

/** The two ways to reach Bedrock, each sending one attempt to one target. */
export interface BedrockCalls {
  readonly converse: CallFn<ConverseInput, ConverseCommandOutput>
  readonly invokeModel: CallFn<InvokeModelInput, InvokeModelCommandOutput>
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
}

export class BedrockInvoker {
  constructor(private readonly deps: InvokerDeps) {}

  /** The route the router chose for this request. */
  get route(): string {
    return this.deps.route
  }

  /** Calls the Converse API through the route's cascade. */
  async converse(input: ConverseInput, options: ConverseOptions = {}): Promise<ConverseReply> {
    const validate = options.validate
    const result = await runCascade(this.request(input, this.deps.calls.converse, options, {
      adapter: converseAdapter<ConverseInput>(this.deps.state.fallback),
      ...(validate && {
        validate: (output: ConverseCommandOutput) => {
          const text = extractText(output)
          try {
            validate(text, output)
          } catch (cause) {
            throw new MalformedOutputError(cause instanceof Error ? cause.message : String(cause), text, cause)
          }
        },
      }),
    }))
    return { ...result.output, text: extractText(result.output), served: result.served }
  }

  /**
   * Calls InvokeModel with a raw body through the route's cascade. Raw bodies are model-family specific, so the
   * route must hold one family only (checked at init for routes declared `invokeModel: true`, and here for others).
   */
  async invokeModel(input: InvokeModelInput, options: CallOptions = {}): Promise<InvokeModelReply> {
    const route = this.resolve(options.route)
    if (route.families.length > 1) {
      throw new BreakwaterConfigError('breakwater/router', `routes.${route.name}`, `mixes model families (${route.families.join(', ')}); invokeModel() can only fall back within one family — use converse() or split the route`)
    }
    const result = await runCascade(this.request(input, this.deps.calls.invokeModel, options, {}))
    return { ...result.output, served: result.served }
  }

  private resolve(name: string | undefined): ResolvedRoute {
    const routeName = name ?? this.deps.route
    const route = this.deps.routes.get(routeName)
    if (!route) throw new BreakwaterConfigError('breakwater/router', 'route', `"${routeName}" is not a configured route (have: ${[...this.deps.routes.keys()].join(', ')})`)
    return route
  }

  private request<I, O>(input: I, call: CallFn<I, O>, options: CallOptions, extra: Pick<CascadeRequest<I, O>, 'adapter' | 'validate'>): CascadeRequest<I, O> {
    const { state, clock } = this.deps
    const route = this.resolve(options.route)
    const reserveMs = state.backoff?.policy.reserveMs ?? DEFAULT_BACKOFF_POLICY.reserveMs
    const deadline = new Deadline(clock, this.deps.remainingTimeMs?.() ?? MAX_LAMBDA_MS /* no Lambda context (a test, a script): Lambda's longest timeout */, reserveMs)
    return {
      route: route.name,
      targets: route.targets,
      input,
      call,
      policies: {
        ...(state.breaker && { breaker: state.breaker.breaker, breakerClasses: state.breaker.failureClasses }),
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
