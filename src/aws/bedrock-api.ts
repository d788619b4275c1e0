/**
 * `context.bedrock` as the handler sees it, typed with the SDK's own input and output types. The engine behind it
 * (src/core/engine/invocation.ts) is structural; these are the public names.
 */
import type { ConverseCommandOutput, ConverseStreamOutput, InvokeModelCommandOutput } from '@aws-sdk/client-bedrock-runtime'
import type { Served } from '../core/invoker/types.js'
import type { JsonSchema } from '../core/output/json-schema.js'
import type { InterruptionPolicy, StreamFinal, StreamRestartEvent, StreamServed } from '../core/stream/reply.js'
import type { ConverseInput, InvokeModelInput } from './bedrock-calls.js'
import type { ConverseStreamInput } from './bedrock-stream.js'

export type {
  ConverseInput, ConverseStreamInput, InvokeModelInput, JsonSchema, InterruptionPolicy, StreamFinal, StreamRestartEvent, StreamServed,
}

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
   * (`fallback.malformedRetries` times), then the next target is tried. A reply a guardrail or the content filter
   * replaced is not checked: the call throws `InterventionError` (422).
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

/** Per-call options of `converseStream`. */
export interface ConverseStreamOptions extends CallOptions {
  /**
   * How long an attempt may wait for its first token before the next target is tried (counted as timed out), ms.
   * Capped by the Lambda deadline less the reserve.
   * @defaultValue `4000`
   */
  readonly firstTokenTimeoutMs?: number
  /** The longest silence between two events once streaming, ms; past it the stream is interrupted (a stall). @defaultValue `5000` */
  readonly idleTimeoutMs?: number
  /**
   * What a stream that breaks off after its first token (cut, stall, mid-stream error) leads to: `restart` on the
   * next target (a `breakwaterRestart` event first: discard what you showed), `continue` on the next target from the
   * partial answer (an assistant prefill; a target that refuses prefills restarts instead), or `fail` (a
   * `StreamInterruptedError` with the partial text). Never a truncated answer delivered as complete.
   * @defaultValue `'restart'`
   */
  readonly interrupted?: InterruptionPolicy
}

/**
 * What `converseStream` resolves to, once the first token has arrived: async-iterable over the SDK's stream events
 * (plus `breakwaterRestart` when a restart voids what came before), with where it is served and, once iterated to
 * its end, the whole answer.
 * @example
 * const reply = await context.bedrock.converseStream({ messages })
 * for await (const event of reply) {
 *   if ('breakwaterRestart' in event) clearShown()
 *   else if (event.contentBlockDelta?.delta?.text) show(event.contentBlockDelta.delta.text)
 * }
 * const { text, stopReason, usage } = reply.final()
 */
export interface ConverseStreamReply extends AsyncIterable<ConverseStreamOutput | StreamRestartEvent> {
  /** Where the answer being streamed comes from, with its time to first token. */
  readonly served: StreamServed
  /** The text streamed so far (reset by a restart). */
  readonly text: string
  /** The whole answer, once iterated to its end; throws before. */
  final(): StreamFinal
}

/** What `converse` returns: the SDK's output, the reply's text, and where it was served. */
export type ConverseReply = ConverseCommandOutput & { readonly text: string; readonly served: Served }
/** What `converse` returns with a `responseSchema`: also the reply's JSON, valid against the schema. */
export type StructuredReply<T = unknown> = ConverseReply & { readonly json: T }
/** What `invokeModel` returns: the SDK's output and where it was served. */
export type InvokeModelReply = InvokeModelCommandOutput & { readonly served: Served }

/** What the handler calls instead of `client.send(...)`: each call walks the chosen route's cascade. */
export interface BedrockInvoker {
  /**
   * Calls the Converse API through the route's cascade. With `responseSchema`, the reply's JSON is `reply.json`
   * (typed by `T`, which is not checked beyond the schema). With `fallback({ cache })`, a request every target
   * failed is answered from the last good reply to it, if there is one (`served.degraded: 'cached'`). A reply whose
   * stop reason says a guardrail or the content filter replaced the answer is served as it is, flagged
   * `served.intervened`, and never cached; with `responseSchema` or `validate` it is an `InterventionError` (422).
   */
  converse<T = unknown>(
    input: ConverseInput,
    options: ConverseOptions & { readonly responseSchema: JsonSchema },
  ): Promise<StructuredReply<T>>
  converse(input: ConverseInput, options?: ConverseOptions): Promise<ConverseReply>
  /**
   * Calls ConverseStream through the route's cascade; resolves at the first token (every failure before it is
   * handled like a `converse` failure, invisible to the caller). See {@link ConverseStreamReply}.
   */
  converseStream(input: ConverseStreamInput, options?: ConverseStreamOptions): Promise<ConverseStreamReply>
  /**
   * Calls InvokeModel with a raw body through the route's cascade. Raw bodies are model-family specific, so the
   * route must hold one family only (checked at init for routes declared `invokeModel: true`, and here for others).
   */
  invokeModel(input: InvokeModelInput, options?: CallOptions): Promise<InvokeModelReply>
}
