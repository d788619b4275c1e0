/**
 * The engine of one stack: the router's routes and calls with the policies in force, compiled once (at creation for
 * the preset, on first use for a hand-composed stack). A call binds only what is per invocation: the event and
 * context (route choice), the deadline and the caller's signal.
 */
import { Deadline } from '../backoff/deadline.js'
import { MAX_LAMBDA_MS } from '../backoff/policy.js'
import type { RetryBudget } from '../backoff/retry-budget.js'
import { DEFAULT_BACKOFF_POLICY, type BackoffPolicy } from '../backoff/types.js'
import type { AdaptiveThrottle } from '../admission/adaptive-throttle.js'
import { QuotaBook, type QuotaBookOptions } from '../admission/quota-book.js'
import { MemoryQuotaStore, type QuotaLimit, type QuotaStore } from '../admission/quota.js'
import type { CircuitBreaker } from '../breaker/circuit-breaker.js'
import type { Clock, Random } from '../clock.js'
import { BreakwaterConfigError } from '../errors.js'
import type { FallbackPolicy } from '../fallback/policy.js'
import type { ReplyCache } from '../fallback/reply-cache.js'
import type { Digest } from '../fallback/cache-key.js'
import { LatencyTracker } from '../health/latency.js'
import { RouteOrder } from '../health/order.js'
import { CacheAffinity, cachedPrefixKey } from '../routing/cache-affinity.js'
import { HedgeLostError } from '../invoker/hedge.js'
import { runCascade } from '../invoker/cascade.js'
import { Hedging } from './hedging.js'
import { summarizer } from '../invoker/summarizer.js'
import type { Summarizable } from '../fallback/summary.js'
import { converseAdapter, converseUsage } from '../invoker/converse-adapter.js'
import { classify, type FailureClass } from '../failure.js'
import { converseStopReason } from '../stop-reason.js'
import type { InterruptionKind } from '../stream/errors.js'
import { modelRegionKey, targetKey, type Target } from '../targets.js'
import type { Admission } from '../breaker/types.js'
import type {
  CallFn, CascadeListener, CascadePolicies, CascadeRequest, CascadeResult, InputAdapter, Intervention, Served, Summarize,
} from '../invoker/types.js'
import { CanaryRecorder } from '../routing/canary-recorder.js'
import type { RequestRouting, RouteChooser } from '../routing/chooser.js'
import type { ResolvedRoute } from '../routing/route.js'

/** The router's part: routes, how to choose one, how to call a target, and the container's clock and health. */
export interface RouterPart {
  readonly routes: ReadonlyMap<string, ResolvedRoute>
  readonly defaultRoute: string
  /** Rules and blue/green splits; absent when the router has neither (a call's route is the named or default one). */
  readonly chooser?: RouteChooser
  readonly calls: EngineCalls
  readonly clock: Clock
  readonly random: Random
  /** Logs, metrics and tracing, guarded: a hook that throws never fails a call. */
  readonly listener: CascadeListener
  readonly latency: LatencyTracker
  /**
   * Streams' times to first token per target, apart from `latency` (a stream's attempt ends at its first token, so
   * its time says nothing of a whole answer's): what a stream's hedge waits on. Absent: the engine keeps its own.
   */
  readonly firstTokens?: LatencyTracker
  readonly slowFactor?: number
}

/** The two ways to reach Bedrock, each sending one attempt to one target (typed by src/aws, opaque here). */
export interface EngineCalls {
  readonly converse: CallFn<never, unknown>
  readonly converseStream: CallFn<never, unknown>
  readonly invokeModel: CallFn<never, unknown>
}

export interface BreakerPart {
  readonly breaker: CircuitBreaker
  readonly failureClasses: ReadonlySet<FailureClass>
  readonly slowCallMs?: number
  /** The container's adaptive throttle; absent with `admission: false`. */
  readonly admission?: AdaptiveThrottle | undefined
  /** Where targets' declared quotas are shared with the fleet (the breaker table); absent = this container only. */
  readonly quotaStore?: QuotaStore | undefined
  /** Told when the quota store fails (the book runs on local limits meanwhile). */
  readonly quotaStoreError?: QuotaBookOptions['onStoreError']
}
export interface BackoffPart { readonly policy: BackoffPolicy; readonly budget: RetryBudget }
export interface FallbackPart {
  readonly policy: FallbackPolicy
  /** The cached-response fallback (`fallback({ cache })`): the container's LRU and the digest of its keys. */
  readonly cache?: { readonly replies: ReplyCache<unknown>; readonly digest: () => Digest }
}

/** What a call binds: the invocation's event and context, and how long it has left. */
export interface Binding {
  readonly event: unknown
  readonly context: unknown
  /** `context.getRemainingTimeInMillis()`, or undefined without a Lambda context (a test, a script). */
  remainingTimeMs(): number | undefined
  /** The request's routing (tier, split key), read from the event on first need. */
  routing(chooser: RouteChooser): RequestRouting
}

/** What a call adds to its cascade beyond the input. */
export interface CallExtras<I, O> {
  readonly adapter?: InputAdapter<I> | undefined
  readonly validate?: ((output: O) => void) | undefined
  /** Reads the reply's stop reason (see `CascadeRequest.stopReason`). */
  readonly stopReason?: ((output: O) => Intervention | undefined) | undefined
  readonly measure?: ((output: O) => { readonly outputTokens?: number | undefined } | undefined) | undefined
  /**
   * A stream's first-token limit, used as each attempt's time limit. A stream's attempt ends at its first token, so
   * its latency says nothing of the whole answer's: it is not recorded in the health tracker, nor used to plan
   * `maxTokens`, but in the first-token tracker (`RouterPart.firstTokens`), which a stream's hedge is planned on.
   */
  readonly firstTokenTimeoutMs?: number | undefined
  /** Lets go of an output nobody will read (a hedge's loser that answered anyway): a stream's open request. */
  readonly discard?: ((output: O) => void) | undefined
  /** Keys of targets not to try (a restarted stream's earlier ones). */
  readonly skip?: ReadonlySet<string> | undefined
}

/** An admission without a permit: a failure reported on it counts in the window and may trip, nothing else. */
const ADMITTED: Admission = Object.freeze({ allowed: true, state: 'closed' })

/** A stream that lost a hedge's race after its first token: its request is ended, as the loser's before it would be. */
export const discardStream = (stream: { abort(reason: unknown): void }): void => stream.abort(new HedgeLostError())

/**
 * The lease book of the targets' declared quotas, or undefined when none declares one. Per engine, so per container:
 * its blocks are this container's share of each minute.
 */
function quotaBook(router: RouterPart, breaker: BreakerPart | undefined): QuotaBook | undefined {
  const limits = new Map<string, QuotaLimit>()
  for (const route of router.routes.values()) {
    for (const t of route.targets) {
      if (t.quota) limits.set(modelRegionKey(t), { requests: t.quota.requestsPerMinute, tokens: t.quota.tokensPerMinute })
    }
  }
  if (limits.size === 0) return undefined
  const options: { -readonly [K in keyof QuotaBookOptions]: QuotaBookOptions[K] } = {
    store: breaker?.quotaStore ?? new MemoryQuotaStore(), clock: router.clock, limits,
  }
  if (breaker?.quotaStoreError) options.onStoreError = breaker.quotaStoreError
  return new QuotaBook(options)
}

export class Engine {
  readonly router: RouterPart
  readonly breaker: BreakerPart | undefined
  readonly backoff: BackoffPart | undefined
  readonly fallback: FallbackPart | undefined
  readonly #policies: CascadePolicies
  readonly #reserveMs: number
  readonly #orders = new Map<string, RouteOrder>()
  /** Which region of a model last served each cached prompt prefix (routing/cache-affinity.ts). */
  readonly #affinity = new CacheAffinity()
  /** Hedged requests (fallback({ hedge })): the container's budget of them, and what an outrun target is told. */
  readonly #hedging: Hedging | undefined
  /** Streams' times to first token (the router's, or this engine's own). */
  readonly #firstTokens: LatencyTracker
  readonly #canary: CanaryRecorder | undefined
  /** Condenses the turns a shortening drops (fallback({ summarize })); undefined when off. */
  readonly #summarize: Summarize<Summarizable> | undefined
  /** The fallback's rewrites of a Converse request without a response format: the same for every call. */
  readonly converseAdapter: InputAdapter<never>
  /** The same for a stream, without the deadline-planned `maxTokens` (a stream's slice ends at its first token). */
  readonly streamAdapter: InputAdapter<never>
  /** What a Converse call without a response schema or validator adds to its cascade: the same for every call. */
  readonly converseExtras: CallExtras<never, unknown>

  constructor(
    router: RouterPart,
    parts: { readonly breaker?: BreakerPart; readonly backoff?: BackoffPart; readonly fallback?: FallbackPart },
  ) {
    this.router = router
    this.breaker = parts.breaker
    this.backoff = parts.backoff
    this.fallback = parts.fallback
    this.#policies = Object.freeze({
      breaker: parts.breaker?.breaker,
      breakerClasses: parts.breaker?.failureClasses,
      slowCallMs: parts.breaker?.slowCallMs,
      admission: parts.breaker?.admission,
      quota: quotaBook(router, parts.breaker),
      backoff: parts.backoff,
      fallback: parts.fallback?.policy,
    })
    this.#reserveMs = parts.backoff?.policy.reserveMs ?? DEFAULT_BACKOFF_POLICY.reserveMs
    const hedge = parts.fallback?.policy.hedge
    // An outrun call was aborted, so the cascade told its breaker nothing: to it, a timeout.
    this.#hedging = hedge ? new Hedging(hedge, router.clock, (slow) => this.#blame(slow, 'timed-out')) : undefined
    this.#firstTokens = router.firstTokens ?? new LatencyTracker({ clock: router.clock })
    const options = router.slowFactor === undefined ? {} : { slowFactor: router.slowFactor }
    for (const route of router.routes.values()) this.#orders.set(route.name, new RouteOrder(route.targets, route.ownTargets, options))
    this.#canary = CanaryRecorder.for(router.chooser)
    const summarize = parts.fallback?.policy.summarize
    this.#summarize = summarize ? summarizer({
      policy: summarize, policies: this.#policies, call: router.calls.converse as CallFn<Summarizable, unknown>,
      clock: router.clock, random: router.random, listener: router.listener,
      minAttemptMs: parts.backoff?.policy.minAttemptMs ?? DEFAULT_BACKOFF_POLICY.minAttemptMs,
    }) : undefined
    this.converseAdapter = converseAdapter(parts.fallback?.policy)
    const { capTokens: _cap, maxTokens: _max, ...streamAdapter } = this.converseAdapter
    this.streamAdapter = streamAdapter
    const measure = converseUsage as unknown as CallExtras<never, unknown>['measure']
    const stopReason = converseStopReason.plain as CallExtras<never, unknown>['stopReason']
    this.converseExtras = Object.freeze({ adapter: this.converseAdapter, measure, stopReason })
  }

  /**
   * The route of a call: the router's rules and blue/green split when it has them, else `named` or the default.
   * Synchronous when there is nothing to choose.
   */
  route(binding: Binding, input: unknown, named: string | undefined): ResolvedRoute | Promise<ResolvedRoute> {
    const chooser = this.router.chooser
    if (chooser === undefined) return this.resolve(named ?? this.router.defaultRoute)
    return binding.routing(chooser).chooseRoute(input, named, this.breaker?.breaker).then((name) => this.resolve(name))
  }

  resolve(name: string): ResolvedRoute {
    const route = this.router.routes.get(name)
    if (!route) {
      const have = [...this.router.routes.keys()].join(', ')
      throw new BreakwaterConfigError('breakwater/router', 'route', `"${name}" is not a configured route (have: ${have})`)
    }
    return route
  }

  /** Walks `route`'s cascade, in health order, within the invocation's deadline. */
  run<I, O>(
    binding: Binding, route: ResolvedRoute, input: I, call: CallFn<I, O>, extras: CallExtras<I, O>, signal: AbortSignal | undefined,
  ): Promise<CascadeResult<O>> {
    const { clock, latency } = this.router
    const deadline = this.deadline(binding)
    const order = (this.#orders.get(route.name) as RouteOrder).order(latency, deadline.startedAt)
    const prefix = cachedPrefixKey(input)
    const request: CascadeRequest<I, O> = {
      route: route.name,
      targets: this.#affinity.prefer(order.targets, prefix, deadline.startedAt),
      canaryNet: order.canaryNet,
      input,
      call,
      policies: this.#policies,
      deadline,
      clock,
      random: this.router.random,
      adapter: extras.adapter,
      validate: extras.validate,
      stopReason: extras.stopReason,
      // Only a request whose history can be shortened (Converse-shaped) has turns to summarize.
      summarize: extras.adapter?.truncate === undefined ? undefined : this.#summarize as Summarize<I> | undefined,
      signal,
      listener: this.router.listener,
      canary: this.#canary,
      latency: extras.firstTokenTimeoutMs === undefined ? latency : this.#firstTokens,
      measure: extras.measure,
      attemptTimeoutMs: extras.firstTokenTimeoutMs,
      skip: extras.skip,
    }
    const running = this.#hedging === undefined ? runCascade(request) : this.#hedging.run(request, deadline.startedAt, extras.discard)
    if (prefix === undefined) return running
    return running.then((result) => {
      const served = result.attempts.findLast((a) => a.outcome === 'success')
      if (served !== undefined) this.#affinity.remember(prefix, served.target, clock.now())
      return result
    })
  }

  /** The invocation's deadline less the reserve, read from the Lambda context now (a stream's reader caps its waits by it). */
  deadline(binding: Binding): Deadline {
    // No Lambda context (a test, a script): Lambda's longest timeout.
    return new Deadline(this.router.clock, binding.remainingTimeMs() ?? MAX_LAMBDA_MS, this.#reserveMs)
  }

  /**
   * A started stream broke off (cut, stall, error after its first token): it counts against the target like the
   * same failure before the first token would (a cut as unavailable, a stall as timed out), and is told to metrics.
   */
  streamInterrupted(route: string, target: Target, kind: InterruptionKind, cause: unknown): void {
    this.router.listener.streamInterrupted?.(target, kind, route)
    if (this.breaker === undefined) return
    const failureClass = kind === 'cut' ? 'unavailable'
      : kind === 'stall' ? 'timed-out'
        // Anything the upstream's stream threw mid-way (a reset, an unreadable event) is the upstream's failure.
        : kind === 'error' ? (classify(cause, this.router.clock.now())?.failureClass ?? 'unavailable')
          : kind // what its stop reason said: context overflow or malformed output, failure classes of their own
    // Admitted when the stream started; its verdict then was the first token. This is the stream's own failure.
    this.#blame(target, failureClass)
  }

  /** A failure the cascade did not see (a stream broken after its first token, a call a hedge outran), to the breaker. */
  #blame(target: Target, failureClass: FailureClass): void {
    const breaker = this.breaker
    if (breaker === undefined || !breaker.failureClasses.has(failureClass)) return
    breaker.breaker.onFailure(targetKey(target), ADMITTED).catch(() => undefined)
  }

  /** `after` with a note condensing what it dropped of `before` (fallback({ summarize })), for a stream shortened outside the cascade. */
  summarize<I>(route: string, before: I, after: I, deadline: Deadline, signal: AbortSignal | undefined): Promise<I | undefined> {
    const summarize = this.#summarize as Summarize<I> | undefined
    return summarize === undefined ? Promise.resolve(undefined) : summarize(before, after, { route, deadline, signal })
  }

  /** Tells the logs and metrics of a reply served without the cascade (from the reply cache). */
  served(served: Served): void {
    this.router.listener.served?.(served)
  }
}
