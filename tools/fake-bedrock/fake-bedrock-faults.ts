/**
 * Fault rules for the fake Bedrock server: which calls fail, how, and how often. Kept apart from the server so the
 * matching rules (order, `times`, `probability`) can be read in one place.
 */
import { checkStreamRule, isStreamFault, type StreamFaultFields, type StreamFaultKind } from './fake-bedrock-stream-faults.js'

export { seededRandom } from './seeded-random.js'

/** The Bedrock Runtime operations the fake serves: `POST /model/{modelId}/converse`, `/converse-stream`, `/invoke`. */
export type Operation = 'converse' | 'converse-stream' | 'invoke'

/** Faults that answer with a Bedrock error (an `x-amzn-errortype` header and a JSON `{ message }` body). */
export type ErrorFaultKind =
  | 'throttle'
  | 'model-not-ready'
  | 'quota'
  | 'unavailable'
  | 'internal'
  | 'model-timeout'
  | 'model-error'
  | 'validation'
  | 'context-overflow'
  | 'access-denied'
  | 'not-found'
  | 'rejects-prefill'

/**
 * `hang`: never answers; `delay`: answers normally, late; `reset`: RST_STREAM (or drops the connection);
 * `stop-reason`: a 200 reply that stops with `stopReason` (Converse `stopReason`, ConverseStream `messageStop`,
 * InvokeModel: in the model family's body and words, see fake-bedrock-families.ts), its text `message` or, for
 * `guardrail_intervened` / `content_filtered`, a blocked message;
 * `bad-body`: a 200 whose body is `body` (broken JSON, HTML, `{}`, empty...), cut by RST_STREAM when `cutBody`.
 * These act before any reply header, for every operation. The stream kinds act inside a ConverseStream reply.
 */
export type FaultKind = ErrorFaultKind | 'hang' | 'delay' | 'reset' | 'bad-body' | 'stop-reason' | StreamFaultKind

/**
 * One rule of a fault plan. Filters left out match every call; stream kinds match only `converse-stream` calls, and
 * `rejects-prefill` only Converse/ConverseStream calls whose last message is the assistant's.
 */
export interface FaultRule extends StreamFaultFields {
  readonly kind: FaultKind
  readonly region?: string
  readonly model?: string
  readonly operation?: Operation
  /** Applies to the next N matching calls, then is spent. Left out: applies forever. */
  readonly times?: number
  /** Chance in [0, 1] that a matching call is hit, rolled with the server's (seeded) random. Default 1. */
  readonly probability?: number
  /** Only when the request is longer than this: more messages, or more characters of text. */
  readonly whenLongerThan?: { readonly messages?: number; readonly chars?: number }
  /** Sent as a `retry-after` header (seconds) with an error reply. */
  readonly retryAfterSeconds?: number
  /** Waits this long before replying (`delay` replies with success; error kinds reply with their error). */
  readonly delayMs?: number
  /** Replaces the default error message; for `stop-reason`, the reply's text. */
  readonly message?: string
  /**
   * For `stop-reason`: the reply's stop reason, one of the SDK's `StopReason` values (`guardrail_intervened`...);
   * an InvokeModel body says it in its family's words (`content_filtered` is Titan's `CONTENT_FILTERED`), and a
   * value the family has no word for is sent as it is (Titan's own `RAG_QUERY_WHEN_RAG_DISABLED`).
   */
  readonly stopReason?: string
  /** For `reset`: `'stream'` (default) sends RST_STREAM; `'session'` destroys the whole HTTP/2 connection. */
  readonly resetScope?: 'stream' | 'session'
  /** For `bad-body`: the raw body of the 200 reply. */
  readonly body?: string
  /** For `bad-body`: send the body, then reset the stream instead of ending it (a connection lost mid-body). */
  readonly cutBody?: boolean
}

export interface ErrorReply {
  readonly status: number
  readonly errorType: string
  readonly message: string
  /** Extra members some errors carry (ModelErrorException has `originalStatusCode`). */
  readonly extra?: Readonly<Record<string, unknown>>
}

/** Status, error type and message as the real service sends them (messages copied from Bedrock replies). */
export const ERROR_REPLIES: Readonly<Record<ErrorFaultKind, ErrorReply>> = {
  'throttle': { status: 429, errorType: 'ThrottlingException', message: 'Too many requests, please wait before trying again.' },
  'model-not-ready': {
    status: 429,
    errorType: 'ModelNotReadyException',
    message: 'Model is not ready to serve inference requests. The AWS SDK will automatically retry the operation.',
  },
  // The Bedrock Runtime model gives ServiceQuotaExceededException HTTP 400, not 429.
  'quota': {
    status: 400,
    errorType: 'ServiceQuotaExceededException',
    message: 'Your request exceeds the service quota for your account. You can view your quotas at https://docs.aws.amazon.com/servicequotas/latest/userguide/gs-request-quota.html.',
  },
  'unavailable': { status: 503, errorType: 'ServiceUnavailableException', message: 'Bedrock is unable to process your request.' },
  'internal': {
    status: 500,
    errorType: 'InternalServerException',
    message: 'The system encountered an unexpected error during processing. Try your request again.',
  },
  'model-timeout': {
    status: 408,
    errorType: 'ModelTimeoutException',
    message: 'Model has timed out in processing the request. Try your request again.',
  },
  'model-error': {
    status: 424,
    errorType: 'ModelErrorException',
    message: 'The model encountered an unexpected error while processing the request. Try your request again.',
    extra: { originalStatusCode: 500 },
  },
  'validation': {
    status: 400,
    errorType: 'ValidationException',
    message: 'Malformed input request, please reformat your input and try again.',
  },
  'context-overflow': { status: 400, errorType: 'ValidationException', message: 'Input is too long for requested model.' },
  'access-denied': {
    status: 403,
    errorType: 'AccessDeniedException',
    message: "You don't have access to the model with the specified model ID.",
  },
  'not-found': {
    status: 404,
    errorType: 'ResourceNotFoundException',
    message: 'Could not resolve the foundation model from the provided model identifier.',
  },
  // Before any stream, from a model without prefill support, to a conversation ending with the assistant's turn.
  'rejects-prefill': {
    status: 400, errorType: 'ValidationException',
    message: 'This model does not support assistant message prefill. The conversation must end with a user message.',
  },
}

export const isErrorFault = (kind: FaultKind): kind is ErrorFaultKind => kind in ERROR_REPLIES

/**
 * Kinds that answer in place of the model (an error, silence, a reset, a broken body): such a call never reaches a
 * model, so it is not charged to a quota. The others (`delay`, the stream kinds) shape a model's reply and are.
 */
export const answersInPlaceOfModel = (kind: FaultKind): boolean =>
  isErrorFault(kind) || kind === 'hang' || kind === 'reset' || kind === 'bad-body'

/** What a call looks like to the rules. */
export interface CallShape {
  readonly region: string
  readonly model: string
  readonly operation: Operation
  readonly messages: number
  readonly chars: number
  /** Role of the last message: `assistant` for a prefill. */
  readonly lastRole?: string
}

/**
 * A fault plan: rules are tried in order and the first that matches (filters, length, not spent, probability roll)
 * decides the reply. A rule whose roll fails lets the next rule try, so rules can be layered.
 */
export class FaultPlan {
  private rules: { rule: FaultRule; left: number }[] = []

  constructor(private readonly random: () => number) {}

  /** Replaces the whole plan: a test states the world it wants instead of patching the previous one. */
  replace(rules: readonly FaultRule[]): void {
    for (const rule of rules) checkRule(rule)
    this.rules = rules.map((rule) => ({ rule, left: rule.times ?? Number.POSITIVE_INFINITY }))
  }

  /** The rule that applies to this call, spending one of its `times`; undefined means "answer normally". */
  pick(call: CallShape): FaultRule | undefined {
    for (const entry of this.rules) {
      if (entry.left <= 0 || !matches(entry.rule, call)) continue
      const p = entry.rule.probability ?? 1
      if (p < 1 && this.random() >= p) continue
      entry.left -= 1
      return entry.rule
    }
    return undefined
  }

  /** How many more times each rule will apply (Infinity when unlimited), in plan order. */
  remaining(): number[] {
    return this.rules.map((e) => e.left)
  }
}

function matches(rule: FaultRule, call: CallShape): boolean {
  if (rule.region !== undefined && rule.region !== call.region) return false
  if (rule.model !== undefined && rule.model !== call.model) return false
  if (rule.operation !== undefined && rule.operation !== call.operation) return false
  if (isStreamFault(rule.kind) && call.operation !== 'converse-stream') return false
  if (rule.kind === 'rejects-prefill' && (call.operation === 'invoke' || call.lastRole !== 'assistant')) return false
  const longer = rule.whenLongerThan
  if (longer === undefined) return true
  return (longer.messages !== undefined && call.messages > longer.messages) ||
    (longer.chars !== undefined && call.chars > longer.chars)
}

function checkRule(rule: FaultRule): void {
  const p = rule.probability
  if (p !== undefined && !(p >= 0 && p <= 1)) throw new RangeError(`fake-bedrock: probability must be in [0, 1] (got ${p})`)
  if (rule.times !== undefined && (!Number.isInteger(rule.times) || rule.times < 0)) {
    throw new RangeError(`fake-bedrock: times must be a non-negative integer (got ${rule.times})`)
  }
  if (rule.kind === 'delay' && rule.delayMs === undefined) throw new RangeError('fake-bedrock: a delay rule needs delayMs')
  if (rule.kind === 'bad-body' && rule.body === undefined) throw new RangeError('fake-bedrock: a bad-body rule needs body')
  if ((rule.kind === 'stop-reason') !== (rule.stopReason !== undefined)) {
    throw new RangeError('fake-bedrock: stopReason goes with a stop-reason rule, and such a rule needs one')
  }
  checkStreamRule(rule)
}
