/**
 * `context.bedrock.converseStream`: the stream path through the same engine as `converse`. The cascade walks the
 * route to a first token (each attempt limited by `firstTokenTimeoutMs`, hedged on the first token with
 * `fallback({ hedge })`), then the reply streams under the idle limit, and an interruption is restarted, continued or
 * failed as the caller chose.
 */
import { MAX_LAMBDA_MS } from '../backoff/policy.js'
import { func, literal, methods, number, object, parseOptions, string } from '../config/index.js'
import { discardStream, type Binding, type Engine } from '../engine/engine.js'
import type { ConverseLike } from '../fallback/messages.js'
import type { CallFn, InputAdapter } from '../invoker/types.js'
import type { ResolvedRoute } from '../routing/route.js'
import { targetKey } from '../targets.js'
import type { StreamEventLike } from './events.js'
import type { StartedStream } from './reader.js'
import { StreamReply, type InterruptionPolicy } from './reply.js'

/** Per-call options of `converseStream`. */
export interface StreamCallOptions {
  readonly signal?: AbortSignal
  readonly route?: string
  readonly firstTokenTimeoutMs?: number
  readonly idleTimeoutMs?: number
  readonly interrupted?: InterruptionPolicy
}

/**
 * Sized for Bedrock's usual time to first token (about 1–2 s for the common models): a target twice as slow as that
 * is abandoned for the next one while the caller can still get an answer from it.
 */
export const DEFAULT_FIRST_TOKEN_TIMEOUT_MS = 4_000
/** Tokens arrive every few dozen ms while a model generates: five silent seconds is a stream that stalled. */
export const DEFAULT_IDLE_TIMEOUT_MS = 5_000

const LAMBDA = 'Lambda runs for 15 minutes at most'
const STREAM_OPTIONS = object({
  signal: methods(['addEventListener', 'removeEventListener']),
  route: string({ minLength: 1 }),
  firstTokenTimeoutMs: number({ above: 0, max: MAX_LAMBDA_MS, unit: 'ms', why: LAMBDA }),
  idleTimeoutMs: number({ above: 0, max: MAX_LAMBDA_MS, unit: 'ms', why: LAMBDA }),
  interrupted: literal('restart', 'continue', 'fail'),
  validate: func(),
}, { source: 'breakwater/invoker', label: 'converseStream options' })

type StreamInput = ConverseLike & { readonly messages?: readonly object[] }

/** The partial answer as the last, assistant turn: the model goes on from it. */
function prefill<I extends StreamInput>(input: I, partial: string): I {
  return { ...input, messages: [...(input.messages ?? []), { role: 'assistant', content: [{ text: partial }] }] }
}

export async function openStream<I extends StreamInput, E extends StreamEventLike>(
  engine: Engine, binding: Binding, input: I, given: StreamCallOptions | undefined,
): Promise<StreamReply<I, E>> {
  const options = parseOptions<StreamCallOptions>(STREAM_OPTIONS, given)
  const chosen = engine.route(binding, input, options.route)
  const route: ResolvedRoute = chosen instanceof Promise ? await chosen : chosen
  const call = engine.router.calls.converseStream as unknown as CallFn<I, StartedStream<E>>
  const adapter = engine.streamAdapter as InputAdapter<I>
  const firstTokenTimeoutMs = options.firstTokenTimeoutMs ?? DEFAULT_FIRST_TOKEN_TIMEOUT_MS
  const { listener } = engine.router
  // Read once: the reader asks for the time left before every event.
  const deadline = engine.deadline(binding)
  return StreamReply.open<I, E>({
    start: async (request, skip) => {
      const extras = { adapter, firstTokenTimeoutMs, skip, discard: discardStream }
      const result = await engine.run(binding, route, request, call, extras, options.signal)
      const last = result.attempts[result.attempts.length - 1]
      if (last !== undefined) listener.firstToken?.(last.target, last.latencyMs, route.name)
      return result
    },
    prefill,
    interrupted: (target, kind, cause) => engine.streamInterrupted(route.name, target, kind, cause),
    intervened: (target, intervention) => listener.intervened?.(target, intervention, route.name),
    downgraded: (target, tier) => listener.streamDowngraded?.(target, tier, route.name),
    truncate: adapter.truncate,
    summarize: (before, after) => engine.summarize(route.name, before, after, deadline, options.signal),
    maxTruncations: engine.fallback?.policy.maxTruncations ?? 0,
    policy: options.interrupted ?? 'restart',
    clock: engine.router.clock,
    idleTimeoutMs: options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
    remainingMs: () => deadline.remainingMs(),
    signal: options.signal,
    keyOf: targetKey,
  }, input)
}
