/**
 * Which kind of event invoked the function, told apart by the shape of the event itself: a failure reply is only
 * useful in the shape its caller reads (a REST proxy response, an ALB response, an SQS batch response...).
 */
import type {
  ALBEvent,
  APIGatewayProxyEvent,
  APIGatewayProxyEventV2,
  LambdaFunctionURLEvent,
  SQSEvent,
} from 'aws-lambda'

/**
 * The event sources the graceful responder shapes replies for.
 * - `apigw-rest`: API Gateway REST API (or an HTTP API on payload format 1.0): the v1 proxy shape.
 * - `apigw-http`: API Gateway HTTP API, payload format 2.0.
 * - `function-url`: a Lambda function URL (the 2.0 shape, served from a `*.lambda-url.<region>.on.aws` domain).
 * - `alb`: an Application Load Balancer target group.
 * - `sqs`: an SQS event source mapping batch.
 * - `direct`: anything else (SDK `Invoke`, Step Functions, EventBridge, tests...).
 */
export type EventSource = 'apigw-rest' | 'apigw-http' | 'alb' | 'function-url' | 'sqs' | 'direct'

/** Function URL domains are `<url-id>.lambda-url.<region>.on.aws`; HTTP APIs use execute-api or a custom domain. */
const FUNCTION_URL_DOMAIN = /\.lambda-url\.[a-z0-9-]+\.on\.aws$/i

/**
 * An object whose keys can be read: events, their parts, errors. Arrays and class instances pass too; callers check
 * the fields they need. Shared by the responders (the classifier imports it from here).
 */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null
}

function requestContextOf(event: Record<string, unknown>): Record<string, unknown> | undefined {
  return isRecord(event.requestContext) ? event.requestContext : undefined
}

/** ALB events carry `requestContext.elb.targetGroupArn` (and an `httpMethod`, so this is checked before v1). */
export function isAlbEvent(event: unknown): event is ALBEvent {
  if (!isRecord(event)) return false
  return isRecord(requestContextOf(event)?.elb)
}

/** The v1 proxy shape: `httpMethod` plus a requestContext naming the API resource and stage. */
export function isRestEvent(event: unknown): event is APIGatewayProxyEvent {
  if (!isRecord(event) || typeof event.httpMethod !== 'string') return false
  const rc = requestContextOf(event)
  return rc !== undefined && typeof rc.resourceId === 'string' && typeof rc.stage === 'string'
}

/** The 2.0 payload shared by HTTP APIs and function URLs: `version: '2.0'` and `requestContext.http`. */
function isV2Event(event: unknown): event is APIGatewayProxyEventV2 {
  if (!isRecord(event) || event.version !== '2.0') return false
  const rc = requestContextOf(event)
  return rc !== undefined && isRecord(rc.http)
}

/** A 2.0-shaped event served from a function URL domain. */
export function isFunctionUrlEvent(event: unknown): event is LambdaFunctionURLEvent {
  if (!isV2Event(event)) return false
  const domain = event.requestContext.domainName
  return typeof domain === 'string' && FUNCTION_URL_DOMAIN.test(domain)
}

/** A 2.0-shaped event from an HTTP API (execute-api or custom domain), i.e. not from a function URL. */
export function isHttpApiEvent(event: unknown): event is APIGatewayProxyEventV2 {
  return isV2Event(event) && typeof event.requestContext.apiId === 'string' && !isFunctionUrlEvent(event)
}

/**
 * An SQS batch: its records say `eventSource: 'aws:sqs'`. Any one is enough to tell, so a batch whose first record
 * is null or broken is still answered as a batch (with every record that can be named).
 */
export function isSqsEvent(event: unknown): event is SQSEvent {
  if (!isRecord(event) || !Array.isArray(event.Records)) return false
  return (event.Records as unknown[]).some((r) => isRecord(r) && r.eventSource === 'aws:sqs')
}

/**
 * Tells which event source an event came from, by its shape alone.
 *
 * @example
 * ```ts
 * detectEventSource({ Records: [{ eventSource: 'aws:sqs', messageId: 'm-1' }] }) // 'sqs'
 * detectEventSource({ prompt: 'hi' })                                            // 'direct'
 * ```
 */
export function detectEventSource(event: unknown): EventSource {
  if (isAlbEvent(event)) return 'alb'
  if (isRestEvent(event)) return 'apigw-rest'
  if (isFunctionUrlEvent(event)) return 'function-url'
  if (isHttpApiEvent(event)) return 'apigw-http'
  if (isSqsEvent(event)) return 'sqs'
  return 'direct'
}
