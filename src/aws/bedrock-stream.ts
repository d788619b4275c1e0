/**
 * The stream call: one ConverseStream attempt to one target, resolved at its first token (the first-token gate).
 * Everything before that point — an error reply, an in-stream exception, a stream that ends or stalls before any
 * content — fails the attempt like a Converse failure, so the cascade handles it (next target, backoff, breaker).
 * After it, the request runs on its own AbortController, which the stream reader owns: the attempt's signal (its
 * first-token timeout) lets go of it.
 */
import {
  ConverseStreamCommand, type BedrockRuntimeClient, type ConverseStreamCommandInput, type ConverseStreamCommandOutput,
  type ConverseStreamOutput,
} from '@aws-sdk/client-bedrock-runtime'
import { BrokenResponseError, MalformedOutputError } from '../core/errors.js'
import type { CallFn } from '../core/invoker/types.js'
import { isContent } from '../core/stream/events.js'
import type { StartedStream } from '../core/stream/reader.js'
import type { Target } from '../core/targets.js'
import type { BedrockClientPool } from './bedrock-clients.js'
import { applyTargetLimits, brokenResponse } from './bedrock-calls.js'

/** The ConverseStream input without `modelId`: the route's targets supply it. */
export type ConverseStreamInput = Omit<ConverseStreamCommandInput, 'modelId'>

/** A stream past its first token, with the SDK's output (response metadata) it came with. */
export interface StartedConverseStream extends StartedStream<ConverseStreamOutput> {
  readonly output: ConverseStreamCommandOutput
}

export function converseStreamCall(pool: BedrockClientPool): CallFn<ConverseStreamInput, StartedConverseStream> {
  return async (target, input, signal) => {
    const client = pool.verifiedClient(target.region) ?? await pool.getChecked(target.region)
    return start(client, target, input, signal)
  }
}

async function start(
  client: BedrockRuntimeClient, target: Target, input: ConverseStreamInput, signal: AbortSignal,
): Promise<StartedConverseStream> {
  const request = new AbortController()
  const follow = (): void => request.abort(signal.reason)
  if (signal.aborted) follow()
  else signal.addEventListener('abort', follow, { once: true })
  try {
    const command = new ConverseStreamCommand({ ...applyTargetLimits(input, target), modelId: target.model })
    const output = await client.send(command, { abortSignal: request.signal }).catch(brokenResponse)
    if (output.stream === undefined) throw new BrokenResponseError('Bedrock answered without an event stream', { statusCode: 200 })
    const iterator = output.stream[Symbol.asyncIterator]()
    const buffered: ConverseStreamOutput[] = []
    for (;;) {
      const step = await nextBefore(iterator, request.signal)
      // The SDK ends its iterator without an error on a cut stream: before any content, that is a broken reply.
      if (step.done === true) throw new BrokenResponseError('the stream ended before its first token', { statusCode: 200 })
      buffered.push(step.value)
      if (isContent(step.value)) break
      if (step.value.messageStop !== undefined) {
        throw new MalformedOutputError('the stream ended its message without content', '', undefined, { reaskable: false })
      }
    }
    return { output, buffered, iterator, abort: (reason) => request.abort(reason) }
  } catch (error) {
    // Before the gate the request is ours to end: a stream left open would hold its connection.
    request.abort(error)
    // An event the SDK could not decode: the service broke its reply, like a 200 with an unreadable body.
    if (error instanceof SyntaxError) throw new BrokenResponseError('a stream event could not be read', { statusCode: 200, cause: error })
    throw error
  } finally {
    signal.removeEventListener('abort', follow)
  }
}

/**
 * The next event, or the signal's reason as soon as it aborts: the first-token limit holds even if the iterator
 * does not end at once when its request is aborted. Only before the gate: a few events per stream.
 */
function nextBefore<T>(iterator: AsyncIterator<T>, signal: AbortSignal): Promise<IteratorResult<T>> {
  if (signal.aborted) return Promise.reject(signal.reason as Error)
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error)
    signal.addEventListener('abort', onAbort, { once: true })
    iterator.next().then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}
