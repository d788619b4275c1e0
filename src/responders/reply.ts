/**
 * Turns a source-neutral `FailureReply` into the result the event source understands.
 */
import type { ALBResult, Context, SQSBatchResponse } from 'aws-lambda'
import { albReply } from './alb.js'
import { isAlbEvent, isSqsEvent, type EventSource } from './detect.js'
import { directReply, type DegradedReply } from './direct.js'
import { httpReply, type HttpFailureResult } from './http.js'
import { sqsReply } from './sqs.js'
import type { FailureReply } from './types.js'

export type { FailureReply } from './types.js'

/** Any of the shaped replies. */
export type ShapedReply = HttpFailureResult | ALBResult | SQSBatchResponse | DegradedReply

/**
 * Shapes a failure reply for its event source. A `source` that does not match the event's shape (a caller-supplied
 * source for the wrong event) falls back to the direct shape rather than crashing inside the error path.
 *
 * @example
 * ```ts
 * const source = detectEventSource(event)
 * return shapeReply(source, failureReply(error, { requestId: context.awsRequestId }), event)
 * ```
 */
export function shapeReply(source: EventSource, reply: FailureReply, event: unknown): ShapedReply {
  switch (source) {
    case 'apigw-rest':
    case 'apigw-http':
    case 'function-url':
      return httpReply(reply)
    case 'alb':
      return isAlbEvent(event) ? albReply(reply, event) : directReply(reply)
    case 'sqs':
      return isSqsEvent(event) ? sqsReply(event) : directReply(reply)
    case 'direct':
      return directReply(reply)
  }
}

/**
 * The id a user report can be matched with: the Lambda request id, else API Gateway's own request id (present on
 * REST, HTTP API and function URL events), else `'unknown'`.
 */
export function requestIdFor(event: unknown, context: Partial<Pick<Context, 'awsRequestId'>> | undefined): string {
  if (typeof context?.awsRequestId === 'string' && context.awsRequestId !== '') return context.awsRequestId
  if (typeof event === 'object' && event !== null && 'requestContext' in event) {
    const rc: unknown = event.requestContext
    if (typeof rc === 'object' && rc !== null && 'requestId' in rc && typeof rc.requestId === 'string') {
      return rc.requestId
    }
  }
  return 'unknown'
}
