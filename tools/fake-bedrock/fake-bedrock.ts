/**
 * A fake Amazon Bedrock Runtime that speaks the real protocol (HTTP/2 cleartext, restJson1, `x-amzn-errortype`
 * error header, JSON `{ message }` bodies, ConverseStream as `application/vnd.amazon.eventstream`), so the real
 * `@aws-sdk/client-bedrock-runtime` can be driven against it.
 *
 * The SDK's default Node handler (`NodeHttp2Handler`) talks to it with nothing but `endpoint: 'http://127.0.0.1:PORT'`:
 * `http2.connect('http://…')` speaks h2c with prior knowledge. This server accepts nothing but HTTP/2, so every
 * recorded call is proof that HTTP/2 was used.
 */
import http2, { type Http2Session, type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2'
import type { AddressInfo, Socket } from 'node:net'
import { answersInPlaceOfModel, ERROR_REPLIES, FaultPlan, isErrorFault, seededRandom } from './fake-bedrock-faults.js'
import type { ErrorReply, FaultRule, Operation } from './fake-bedrock-faults.js'
import { QuotaBook, type Admission, type QuotaHeadroom, type QuotaRule } from './fake-bedrock-quota.js'
import {
  resetStream, sendBadBody, sendError, sendSuccess,
  type CallRecord, type MutableCall, type ReplyContext,
} from './fake-bedrock-replies.js'
import { sendStream } from './fake-bedrock-stream.js'
import { TierBook, tierAsked, type TierRule } from './fake-bedrock-tiers.js'
import { Timers } from './fake-bedrock-timers.js'
import { PromptCache } from './fake-bedrock-cache.js'
import {
  estimateTokens, lastRoleOf, lastUserText, maxTokensOf, parseRoute, regionOf, sizeOf, type Route,
} from './fake-bedrock-wire.js'

export type { FaultKind, FaultRule, Operation } from './fake-bedrock-faults.js'
export type { QuotaBound, QuotaHeadroom, QuotaRule } from './fake-bedrock-quota.js'
export type { FakeLatency, FakeServiceTier, TierRule } from './fake-bedrock-tiers.js'
export type { StreamExceptionType, StreamFaultKind } from './fake-bedrock-stream-faults.js'
export { seededRandom } from './fake-bedrock-faults.js'
export type { CallOutcome, CallRecord, ReplyContext } from './fake-bedrock-replies.js'

export interface FakeBedrockOptions {
  /** The assistant text of a successful reply. Default: `echo: <last user text> [model@region]`. */
  readonly reply?: (call: ReplyContext) => string
  /** Random source for `probability` rules. Default: seeded, so runs repeat. */
  readonly random?: () => number
  /** Clock for `startedAt` / `endedAt` and for the quotas' refill. */
  readonly now?: () => number
}

const defaultReply = (c: ReplyContext): string => `echo: ${c.lastUserText} [${c.model}@${c.region}]`

export class FakeBedrock {
  private readonly log: MutableCall[] = []
  private readonly plan_: FaultPlan
  private readonly sessions = new Map<Http2Session, number>()
  private readonly sockets = new Set<Socket>()
  private readonly timers = new Timers()
  private waiters: { count: number; resolve: () => void }[] = []
  private sessionCount = 0
  private replyFn: (call: ReplyContext) => string
  private readonly now: () => number
  private readonly quota: QuotaBook
  /** Prompt-cache prefixes per model and region (fake-bedrock-cache.ts): a Converse reply's cache usage. */
  private readonly promptCache = new PromptCache()
  private readonly tiers_ = new TierBook()

  private constructor(private readonly server: http2.Http2Server, options: FakeBedrockOptions) {
    this.plan_ = new FaultPlan(options.random ?? seededRandom(42))
    this.replyFn = options.reply ?? defaultReply
    this.now = options.now ?? Date.now
    this.quota = new QuotaBook(() => this.now())
    server.on('session', (s) => this.track(s))
    server.on('connection', (socket: Socket) => { this.sockets.add(socket); socket.on('close', () => this.sockets.delete(socket)) })
    server.on('stream', (stream, headers) => this.onStream(stream, headers))
  }

  /** Starts a server on 127.0.0.1 at a random free port. */
  static async start(options: FakeBedrockOptions = {}): Promise<FakeBedrock> {
    const server = http2.createServer()
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(0, '127.0.0.1', () => resolve())
    })
    return new FakeBedrock(server, options)
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port
  }

  /** The value for the SDK's `endpoint` option. */
  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`
  }

  /** Every call received so far, oldest first. */
  get calls(): readonly CallRecord[] {
    return this.log
  }

  /** How many calls matched the filter (all calls when it is empty). */
  callsTo(filter: { region?: string; model?: string; operation?: Operation } = {}): number {
    return this.log.filter((c) =>
      (filter.region === undefined || c.region === filter.region) &&
      (filter.model === undefined || c.model === filter.model) &&
      (filter.operation === undefined || c.operation === filter.operation)).length
  }

  /** Replaces the fault plan. Rules are tried in order; the first that matches decides the reply. */
  plan(rules: readonly FaultRule[]): this {
    this.plan_.replace(rules)
    return this
  }

  /**
   * Replaces the quotas (none at start: every call admitted). The first rule matching a call's model and region sets
   * its RPM / TPM buckets; each (model, region) has buckets of its own. A fault rule that answers in place of the
   * model (an error kind, `hang`, `reset`, `bad-body`) decides first and costs no quota; any other call is admitted
   * (1 request, `inputTokens + maxTokens` tokens, the unused output refunded when it ends) or answered 429
   * ThrottlingException, charged nothing, when a bucket lacks what it needs.
   */
  quotas(rules: readonly QuotaRule[]): this {
    this.quota.replace(rules)
    return this
  }

  /**
   * Replaces what models and regions offer of the service tiers and latency modes (at start: everything, served as
   * asked). A call asking for what its rule does not offer is refused (400 ValidationException, no quota spent);
   * `servesTier` / `servesLatency` serve it otherwise than asked (a silent downgrade), as the reply then says.
   */
  tiers(rules: readonly TierRule[]): this {
    this.tiers_.replace(rules)
    return this
  }

  /** What the quota buckets of a model and region hold now; undefined when no quota applies. */
  headroom(model: string, region: string): QuotaHeadroom | undefined {
    return this.quota.headroom(model, region)
  }

  /** Spent-ness of the plan's rules: how many more times each will apply. */
  remaining(): number[] {
    return this.plan_.remaining()
  }

  /** Changes the reply text of successful calls. */
  replyWith(reply: (call: ReplyContext) => string): this {
    this.replyFn = reply
    return this
  }

  /** Forgets calls, the plan, the quotas, the tiers and a custom reply; open connections stay. */
  reset(): void {
    this.log.length = 0
    this.plan_.replace([])
    this.quota.replace([])
    this.tiers_.replace([])
    this.promptCache.clear()
    this.replyFn = defaultReply
  }

  /** Resolves once `count` calls have arrived: lets a test abort a hanging call only after the server has it. */
  waitForCalls(count: number): Promise<void> {
    if (this.log.length >= count) return Promise.resolve()
    return new Promise((resolve) => this.waiters.push({ count, resolve }))
  }

  /** Destroys every session and socket (a session the client closed, then left unread, only half-closes its own). */
  async stop(): Promise<void> {
    this.timers.clear()
    for (const s of this.sessions.keys()) s.destroy()
    for (const socket of this.sockets) socket.destroy()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  private track(session: Http2Session): void {
    this.sessions.set(session, ++this.sessionCount)
    session.on('close', () => this.sessions.delete(session))
    // A client that tears the connection down (abort, reset) is normal traffic here, not a test failure.
    session.on('error', () => undefined)
  }

  private onStream(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void {
    stream.on('error', () => undefined)
    const route = parseRoute(headers[':method'], headers[':path'])
    if (!route) {
      stream.respond({ ':status': 404, 'content-type': 'application/json', 'x-amzn-errortype': 'UnknownOperationException' })
      stream.end(JSON.stringify({ message: `No route for ${headers[':method']} ${headers[':path']}` }))
      return
    }
    const chunks: Buffer[] = []
    stream.on('data', (c: Buffer) => chunks.push(c))
    stream.on('end', () => this.handle(stream, route, headers, Buffer.concat(chunks).toString('utf8')))
  }

  private handle(stream: ServerHttp2Stream, route: Route, headers: IncomingHttpHeaders, raw: string): void {
    const body = parseJson(raw)
    const region = regionOf(headers.authorization)
    const size = sizeOf(body, raw)
    const rule = this.plan_.pick({ ...route, region, ...size, lastRole: lastRoleOf(body) })
    const asked = tierAsked(body, headers)
    // A fault that answers in place of the model comes first; then a tier the model does not offer (no quota spent).
    const tier = rule && answersInPlaceOfModel(rule.kind) ? undefined : this.tiers_.answer(route.model, region, asked)
    const admission: Admission | undefined = tier === undefined || 'refused' in tier
      ? undefined
      : this.quota.admit({ model: route.model, region, inputTokens: estimateTokens(size.chars), maxTokens: maxTokensOf(body) })
    const call: MutableCall = {
      seq: this.log.length + 1, region, model: route.model, operation: route.operation, body,
      protocol: stream.session?.alpnProtocol ?? 'unknown', session: this.sessionOf(stream), fault: rule?.kind,
      serviceTier: asked.serviceTier, latency: asked.latency,
      throttledBy: admission?.admitted === false ? admission.bound : undefined,
      startedAt: this.now(), status: undefined, errorType: undefined, outcome: 'pending', endedAt: undefined, events: [],
    }
    this.log.push(call)
    this.notify()
    let outputTokens = 0
    stream.on('close', () => {
      if (call.outcome === 'pending') call.outcome = 'aborted'
      call.endedAt = this.now()
      if (admission?.admitted) admission.settle(outputTokens)
    })
    if (call.throttledBy) return sendError(stream, call, ERROR_REPLIES.throttle)
    if (rule?.kind === 'hang') return
    const schedule = this.timers.forStream(stream)
    const elapsedMs = (): number => Math.max(0, this.now() - call.startedAt)
    const act = (): void => {
      if (stream.destroyed || stream.closed) return
      if (rule?.kind === 'reset') return resetStream(stream, call, rule)
      if (rule?.kind === 'bad-body') return sendBadBody(stream, call, rule)
      if (rule && isErrorFault(rule.kind)) return sendError(stream, call, errorOf(rule, ERROR_REPLIES[rule.kind]), rule.retryAfterSeconds)
      if (tier !== undefined && 'refused' in tier) return sendError(stream, call, tier.refused)
      const served = tier?.served
      const text = (): string => {
        const own = rule?.kind === 'stop-reason' ? stopReasonText(rule) : undefined
        const reply = own ?? this.replyFn({ ...call, lastUserText: lastUserText(body) })
        outputTokens = estimateTokens(reply.length)
        return reply
      }
      if (call.operation === 'converse-stream') {
        return sendStream(stream, call, rule, { text, inputChars: size.chars, elapsedMs, schedule, served })
      }
      const cache = call.operation === 'converse' ? this.promptCache.touch(region, route.model, body, this.now()) : undefined
      sendSuccess(stream, call, text, size.chars, elapsedMs(), served, rule?.stopReason, cache)
    }
    if (rule?.delayMs === undefined) return act()
    schedule(rule.delayMs, act)
  }

  private sessionOf(stream: ServerHttp2Stream): number {
    return stream.session ? (this.sessions.get(stream.session) ?? 0) : 0
  }

  private notify(): void {
    const ready = this.waiters.filter((w) => this.log.length >= w.count)
    this.waiters = this.waiters.filter((w) => this.log.length < w.count)
    for (const w of ready) w.resolve()
  }
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw)
  } catch {
    return raw
  }
}

/** Bedrock's default blocked messaging: what a guardrail (or the content filter) answers in place of the model. */
export const BLOCKED_MESSAGE = 'Sorry, the model cannot answer this question.'
const INTERVENING = new Set(['guardrail_intervened', 'content_filtered'])

/** The text of a `stop-reason` reply: the rule's, a blocked message for an intervention, else undefined (the usual reply). */
const stopReasonText = (rule: FaultRule): string | undefined =>
  rule.message ?? (INTERVENING.has(rule.stopReason ?? '') ? BLOCKED_MESSAGE : undefined)

const errorOf = (rule: FaultRule, base: ErrorReply): ErrorReply => (rule.message === undefined ? base : { ...base, message: rule.message })
