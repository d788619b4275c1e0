/**
 * Breakwater: Middy middlewares that keep Amazon Bedrock calls from AWS Lambda standing through throttling,
 * regional outages, timeouts, overflowing prompts and retry storms.
 */
export { breakwater, type BreakwaterOptions } from './middlewares/breakwater.js'
export { router, type RouterOptions, type BreakwaterContext } from './middlewares/router.js'
export { circuitBreaker, type CircuitBreakerOptions } from './middlewares/circuit-breaker.js'
export { backoff, type BackoffOptions } from './middlewares/backoff.js'
export { fallback, type FallbackOptions } from './middlewares/fallback.js'
export { gracefulDegradation, type GracefulDegradationOptions } from './middlewares/graceful-degradation.js'
export type { RouteSpec } from './middlewares/routes.js'
export type { Rule } from './core/routing/rules.js'
export type { Predicate } from './core/routing/predicates.js'
export type { CanarySettings } from './core/routing/canary.js'
export type { SplitKey, RequestKeyFn } from './middlewares/routing-options.js'
export type { TracerLike } from './aws/tracing.js'
export type {
  BedrockInvoker, CallOptions, ConverseInput, ConverseOptions, ConverseReply, InvokeModelInput, InvokeModelReply,
  JsonSchema, StructuredReply, ConverseStreamInput, ConverseStreamOptions, ConverseStreamReply, InterruptionPolicy,
  StreamFinal, StreamRestartEvent, StreamServed,
} from './aws/bedrock-api.js'
export { StreamInterruptedError } from './core/stream/errors.js'
export { sseResponse, type SseResponse, type SseResponseOptions, type StreamedReplyLike } from './responders/sse.js'
export type { SseEventData, SseEventName, SseServed } from './responders/sse-events.js'
export type { Served, Degradation, Intervention } from './core/invoker/types.js'
export type { Target, TargetSpec } from './core/targets.js'
export type { FailureClass } from './core/failure.js'
export type { AttemptRecord, AttemptOutcome } from './core/attempts.js'
export type {
  BreakerStore, BreakerRecord, BreakerPolicy, WindowCounts, CompareAndSetResult, ProbePermit, BreakerStateName,
} from './core/breaker/types.js'
/** A store of your own can offer the adaptive throttle the fleet's counts (`BreakerStore.admissionFeed`). */
export type { AdmissionFeed, AdmissionCounts, FleetBuckets } from './core/admission/fleet-feed.js'
export type { BackoffPolicy, RetryBudgetPolicy } from './core/backoff/types.js'
export type { FallbackPolicy } from './core/fallback/policy.js'
export type { Clock, Random } from './core/clock.js'
export { MemoryBreakerStore } from './core/breaker/memory-store.js'
export { METRIC, type Observability } from './aws/observability.js'
export {
  BreakwaterError, BreakwaterConfigError, CompositionError, CallerFaultError, BadRequestError, ContextOverflowError,
  MalformedOutputError, AttemptTimeoutError, AllTargetsFailedError, BrokenResponseError, ContextWindowExceededError,
} from './core/errors.js'
export { InterventionError } from './core/stop-reason.js'
