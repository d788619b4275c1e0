/** What a target is (a leaf module: the types attempts and errors need, without the parsing that raises errors). */
export interface Target {
  /** A model id (`anthropic.claude-3-5-haiku-20241022-v1:0`) or an inference profile id (`us.anthropic...`). */
  readonly model: string
  /** The AWS region the call is sent to, e.g. `us-east-1`. */
  readonly region: string
  /** Caps `inferenceConfig.maxTokens` when this target serves: a cheaper, faster step of the cascade. */
  readonly maxTokens?: number
  /** Keeps only the newest N messages of the history when this target serves. */
  readonly maxMessages?: number
  /**
   * The model's context window in tokens (input plus the output asked for). With fallback() in force, a request that
   * would not fit has its history shortened before it is sent (`truncated-context`), or skips the target
   * (`skipped-context`) when it cannot get short enough. Default: the built-in figure for the model's family
   * (src/core/fallback/context-windows.ts), none for a model not listed.
   */
  readonly contextWindow?: number
  /**
   * The target's known Bedrock quota, enforced fleet-wide before calls are sent: a call the minute's quota has no
   * room for is not sent (`skipped-quota`) and walks on to the next target. Shared through the breaker table when
   * circuitBreaker() has one, else per container. See docs/quotas.md.
   * @example { model: 'anthropic.claude-3-haiku-20240307-v1:0', region: 'us-east-1',
   *   quota: { requestsPerMinute: 400, tokensPerMinute: 300_000 } }
   */
  readonly quota?: TargetQuota
  /**
   * The Bedrock service tier to ask for (the request's `serviceTier`). The same model and region at another tier is
   * another target, with a breaker and health of its own, so a cascade can be a tier ladder. A tier the model or
   * region does not offer is refused with a 400 that walks on to the next target (no breaker failure); a reply
   * served at a lower tier than asked is degraded `downgraded-tier`. Left out: Bedrock's default tier.
   * @example [
   *   { model: 'us.amazon.nova-pro-v1:0', region: 'us-east-1', serviceTier: 'priority' },
   *   { model: 'us.amazon.nova-pro-v1:0', region: 'us-east-1' },
   *   { model: 'us.amazon.nova-pro-v1:0', region: 'us-east-1', serviceTier: 'flex' },
   * ]
   */
  readonly serviceTier?: ServiceTier
  /**
   * Latency-optimized inference (the request's `performanceConfig.latency`), where the model and region offer it.
   * Treated like `serviceTier`: its own target, a refusal walks on, a reply served `standard` is `downgraded-tier`.
   * @example { model: 'us.anthropic.claude-3-5-haiku-20241022-v1:0', region: 'us-east-2', latency: 'optimized' }
   */
  readonly latency?: LatencyMode
}

/** Bedrock's service tiers: `reserved` capacity, `priority` (ahead of the queue), `default`, `flex` (cheaper, later). */
export type ServiceTier = 'priority' | 'default' | 'flex' | 'reserved'
/** Bedrock's inference latency modes. */
export type LatencyMode = 'standard' | 'optimized'

/** Requests and tokens per minute (tokens: input plus the `maxTokens` asked for, as Bedrock reserves them). At least one. */
export interface TargetQuota {
  readonly requestsPerMinute?: number
  readonly tokensPerMinute?: number
}

/** A target written as an object, or as the shorthand `model@region`. */
export type TargetSpec = Target | string
