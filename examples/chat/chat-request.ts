/**
 * The chat API of the sample handler, independent of Breakwater: which event source called, the chat request in its
 * body (or SQS record body, or direct payload), and a 200 shaped the way that source expects.
 *
 * Request: `{ "prompt": "...", "history"?: [{ "role": "user" | "assistant", "content": "..." }] }`.
 */
import type { Message } from '@aws-sdk/client-bedrock-runtime'
import type { ALBEvent, ALBResult, APIGatewayProxyResult, SQSEvent } from 'aws-lambda'
import { BadRequestError } from '../../src/index.js'

/** The sample's system prompt (the buffered and the streaming chat share it). */
export const SYSTEM_PROMPT = 'You are the support assistant of an online store. Answer in at most three sentences. ' +
  'If you do not know an order detail, say so instead of guessing.'

/** REST v1, HTTP API v2 and function URLs all carry `body` and accept `{ statusCode, headers, body }`. */
export type ChatSource = 'http' | 'alb' | 'sqs' | 'direct'

export interface Turn {
  readonly role: 'user' | 'assistant'
  readonly content: string
}

export interface ChatRequest {
  readonly prompt: string
  readonly history: readonly Turn[]
}

/** What a successful chat returns, whatever the source. */
export interface ChatAnswer {
  readonly reply: string
  readonly model: string
  readonly region: string
  /** `false`, or how Breakwater had to degrade to answer (`fallback-target`, `truncated-context`, ...). */
  readonly degraded: string | false
}

const MAX_PROMPT_CHARS = 100_000
const MAX_TURNS = 50

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

export function sourceOf(event: unknown): ChatSource {
  if (!isObject(event)) return 'direct'
  const rc = event.requestContext
  if (isObject(rc) && isObject(rc.elb)) return 'alb'
  if (typeof event.httpMethod === 'string' || (event.version === '2.0' && isObject(rc) && isObject(rc.http))) return 'http'
  if (Array.isArray(event.Records) && event.Records.some((r: unknown) => isObject(r) && r.eventSource === 'aws:sqs')) return 'sqs'
  return 'direct'
}

/** The raw body of an HTTP-shaped event (API Gateway, function URL, ALB), base64 decoded when flagged. */
export function httpBody(event: { body?: unknown; isBase64Encoded?: unknown }): string {
  const { body } = event
  if (body === undefined || body === null || body === '') throw new BadRequestError('The request has no body: send {"prompt": "..."}')
  // API Gateway, ALB and function URLs send the body as a string; anything else is a malformed event, not a bug.
  if (typeof body !== 'string') throw new BadRequestError('The request body must be a string of JSON: {"prompt": "..."}')
  return event.isBase64Encoded === true ? Buffer.from(body, 'base64').toString('utf8') : body
}

/** Parses and checks a chat request from a JSON string or an already parsed payload. */
export function parseChatRequest(input: unknown): ChatRequest {
  let payload = input
  if (typeof input === 'string') {
    try {
      payload = JSON.parse(input)
    } catch (cause) {
      throw new BadRequestError('The request body is not valid JSON', cause)
    }
  }
  if (!isObject(payload)) throw new BadRequestError('The request must be a JSON object: {"prompt": "..."}')
  const { prompt, history = [] } = payload
  if (typeof prompt !== 'string' || prompt.trim() === '') throw new BadRequestError('"prompt" is required and must be a non-empty string')
  if (prompt.length > MAX_PROMPT_CHARS) throw new BadRequestError(`"prompt" is longer than ${MAX_PROMPT_CHARS} characters`)
  if (!Array.isArray(history) || history.length > MAX_TURNS) {
    throw new BadRequestError(`"history" must be a list of at most ${MAX_TURNS} turns`)
  }
  const turns = history.map((turn: unknown, i): Turn => {
    if (!isObject(turn) || (turn.role !== 'user' && turn.role !== 'assistant') || typeof turn.content !== 'string') {
      throw new BadRequestError(`"history[${i}]" must be {"role": "user" | "assistant", "content": "..."}`)
    }
    return { role: turn.role, content: turn.content }
  })
  return { prompt, history: turns }
}

/** The Converse messages for a request: the history, then the new prompt as the last user turn. */
export function toMessages(request: ChatRequest): Message[] {
  const turns = [...request.history, { role: 'user' as const, content: request.prompt }]
  return turns.map((t) => ({ role: t.role, content: [{ text: t.content }] }))
}

const JSON_HEADERS = { 'content-type': 'application/json' }

/** The 200 an HTTP source expects (API Gateway REST, HTTP API, function URL). */
export function httpOk(answer: ChatAnswer): APIGatewayProxyResult {
  return { statusCode: 200, headers: JSON_HEADERS, body: JSON.stringify(answer) }
}

/** The 200 an ALB expects; `multiValueHeaders` when the target group has multi-value headers on. */
export function albOk(answer: ChatAnswer, event: ALBEvent): ALBResult {
  const result: ALBResult = { statusCode: 200, statusDescription: '200 OK', isBase64Encoded: false, body: JSON.stringify(answer) }
  if (event.multiValueHeaders) result.multiValueHeaders = { 'content-type': ['application/json'] }
  else result.headers = JSON_HEADERS
  return result
}

/** A direct invocation's success result: `ok: true` tells it from Breakwater's `{ ok: false, ... }` failure reply. */
export function directOk(answer: ChatAnswer): ChatAnswer & { readonly ok: true } {
  return { ok: true, ...answer }
}

export function isSqsBatch(event: unknown): event is SQSEvent {
  return sourceOf(event) === 'sqs'
}
