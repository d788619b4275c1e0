/**
 * Breakwater's streaming handler for the stream scenarios: the sample handler's HTTP path with `converseStream`,
 * read the way its docs show — text deltas appended, what was shown discarded at a `breakwaterRestart` — and the
 * whole answer's origin from `reply.final()`. Bench-sized limits: the Lambda timeout is seconds, not minutes.
 */
import middy from '@middy/core'
import type { Context } from 'aws-lambda'
import { breakwater, type BreakwaterContext, type BreakwaterOptions, type ConverseStreamOptions } from '../../src/index.js'
import { httpBody, parseChatRequest, toMessages } from '../../examples/chat/chat-request.js'
import { streamedOk } from './stream-reply.js'

/** A first token within 1.5 s (default 4 s), no silence over 1 s (default 5 s); a cut or stall restarts elsewhere. */
export const BENCH_STREAM_LIMITS = { firstTokenTimeoutMs: 1_500, idleTimeoutMs: 1_000, interrupted: 'restart' } as const satisfies
  ConverseStreamOptions

export function streamHandler(options: BreakwaterOptions) {
  return middy<unknown, unknown, Error, Context>().use(breakwater(options)).handler(async (event, context, { signal }) => {
    const began = Date.now()
    const { bedrock } = context as BreakwaterContext
    const request = parseChatRequest(httpBody(event as { body?: string | null }))
    const reply = await bedrock.converseStream({ messages: toMessages(request), inferenceConfig: { maxTokens: 1024 } },
      { signal, ...BENCH_STREAM_LIMITS })
    let text = ''
    let ttftMs: number | undefined
    for await (const e of reply) {
      if ('breakwaterRestart' in e) {
        text = ''
        continue
      }
      const delta = e.contentBlockDelta?.delta?.text
      if (delta === undefined) continue
      ttftMs ??= Date.now() - began
      text += delta
    }
    const { served } = reply.final()
    return streamedOk({ reply: text, model: served.model, region: served.region, degraded: served.degraded, ttftMs })
  })
}
