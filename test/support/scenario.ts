/**
 * The scenario harness: a real Middy handler behind the real breakwater() preset, its Bedrock clients pointed at the
 * fake Bedrock server, and a Lambda context whose remaining time really runs down. Every scenario file builds its
 * handler with `chatHandler()` and reads what the handler saw (`served`, `errors`) next to what the server saw.
 */
import type { Message } from '@aws-sdk/client-bedrock-runtime'
import middy from '@middy/core'
import type { Context } from 'aws-lambda'
import {
  breakwater, type BreakwaterContext, type BreakwaterOptions, type ConverseInput, type Served,
} from '../../src/index.js'
import { AllTargetsFailedError } from '../../src/core/errors.js'
import { fakeClientConfig } from '../../tools/fake-bedrock/bedrock-client.js'
import { lambdaContext } from './events.js'
import type { CallRecord, FakeBedrock } from '../../tools/fake-bedrock/fake-bedrock.js'

export const HAIKU = 'anthropic.claude-3-haiku-20240307-v1:0'
export const EAST = 'us-east-1'
export const WEST = 'us-west-2'
/** `model@region`, the target shorthand of a route. */
export const at = (region: string, model = HAIKU): string => `${model}@${region}`

export const user = (text: string): Message => ({ role: 'user', content: [{ text }] })
export const assistant = (text: string): Message => ({ role: 'assistant', content: [{ text }] })
export const ask = (text = 'hello'): ConverseInput => ({ messages: [user(text)] })

/** A conversation of `turns` messages alternating user / assistant, starting with the user (odd = ends with the user). */
export function history(turns: number): Message[] {
  return Array.from({ length: turns }, (_, i) => (i % 2 === 0 ? user(`question ${i}`) : assistant(`answer ${i}`)))
}

/** A Lambda context whose `getRemainingTimeInMillis()` counts down for real from `ms`, and the deadline it counts to. */
export interface Countdown {
  readonly context: Context
  /** Epoch ms at which the invocation would be killed. */
  readonly deadlineAt: number
}

export function countdown(ms: number, requestId?: string): Countdown {
  const deadlineAt = Date.now() + ms
  const context: Context = { ...lambdaContext(requestId), getRemainingTimeInMillis: () => Math.max(0, deadlineAt - Date.now()) }
  return { context, deadlineAt }
}

/** What the chat handler returns on success (the failure shapes are gracefulDegradation's). */
export interface ChatResult {
  readonly statusCode: number
  readonly headers?: Record<string, string>
  readonly body: string
  readonly statusDescription?: string
  readonly batchItemFailures?: readonly { readonly itemIdentifier: string }[]
  readonly [key: string]: unknown
}

export interface ChatHandler {
  readonly invoke: (event: unknown, context?: Context) => Promise<ChatResult>
  /** `reply.served` of every converse() that returned, in order. */
  readonly served: Served[]
  /** Every error converse() threw, in order (the handler rethrows it to Middy). */
  readonly errors: unknown[]
}

export interface ChatOptions {
  /** What to send; default `ask('hello')`. */
  readonly input?: ConverseInput
  /** Pass Middy's abort signal (the handler's 3rd argument) to converse(). Default true. */
  readonly useSignal?: boolean
  /** Middy's `timeoutEarlyInMillis` (Middy's own default is 5). */
  readonly timeoutEarlyInMillis?: number
  /** One converse() per SQS record instead of one per invocation. */
  readonly perRecord?: boolean
  /** Middlewares used after breakwater() (their onError runs before its own). */
  readonly after?: readonly middy.MiddlewareObj<unknown, unknown, Error>[]
}

/**
 * `middy(chat).use(breakwater({ ...options, client: <the fake> }))`: the handler a user would write, answering
 * `{ statusCode: 200, body: { text, served } }`.
 */
export function chatHandler(server: FakeBedrock, options: Omit<BreakwaterOptions, 'client'>, chat: ChatOptions = {}): ChatHandler {
  const served: Served[] = []
  const errors: unknown[] = []
  const input = chat.input ?? ask()
  const useSignal = chat.useSignal ?? true
  const once = async (context: BreakwaterContext, signal: AbortSignal): Promise<{ text: string; served: Served }> => {
    try {
      const reply = await context.bedrock.converse(input, useSignal ? { signal } : {})
      served.push(reply.served)
      return { text: reply.text, served: reply.served }
    } catch (error) {
      errors.push(error)
      throw error
    }
  }
  const handler = middy(async (event: unknown, context: BreakwaterContext, { signal }: { signal: AbortSignal }) => {
    const records = chat.perRecord ? (event as { Records: unknown[] }).Records : [event]
    const replies = []
    for (const _record of records) replies.push(await once(context, signal))
    const body = JSON.stringify(replies.length === 1 ? replies[0] : replies)
    return { statusCode: 200, headers: { 'content-type': 'application/json' }, body }
  }, chat.timeoutEarlyInMillis === undefined ? {} : { timeoutEarlyInMillis: chat.timeoutEarlyInMillis })
    .use(breakwater({ ...options, client: { clientConfig: fakeClientConfig(server) } }))
  for (const m of chat.after ?? []) handler.use(m as middy.MiddlewareObj<unknown, unknown, Error, BreakwaterContext>)
  const invoke = async (event: unknown, context: Context = lambdaContext()): Promise<ChatResult> =>
    (await handler(event, context as BreakwaterContext)) as ChatResult
  return { invoke, served, errors }
}

/** Upstream calls an AllTargetsFailedError says were made (skipped steps are not calls). */
export function callsIn(error: unknown): number {
  if (!(error instanceof AllTargetsFailedError)) throw new Error(`expected an AllTargetsFailedError, got ${String(error)}`)
  return error.attempts.filter((a) => !a.outcome.startsWith('skipped')).length
}

/** The regions of the server's calls, in order. */
export const regionsOf = (calls: readonly CallRecord[]): string[] => calls.map((c) => c.region)

/** Messages of the Converse body the server received. */
export function messagesSent(call: CallRecord | undefined): Message[] {
  return ((call?.body as { messages?: Message[] } | undefined)?.messages) ?? []
}

/** Resolves once `check()` holds (polls every 5 ms), or rejects after `timeoutMs`. */
export async function until(check: () => boolean, timeoutMs = 2_000): Promise<void> {
  const giveUpAt = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > giveUpAt) throw new Error('until(): condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

/** Waits `ms` of real time: lets a background cascade run, to show it makes no further call. */
export const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

export const parseBody = (result: ChatResult): Record<string, unknown> => JSON.parse(result.body) as Record<string, unknown>
