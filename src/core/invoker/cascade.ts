/**
 * The engine: walks a route's cascade of targets under the breaker, backoff and fallback policies in force, and
 * either returns the first good output or throws a typed error. Pure of AWS: the call itself is injected.
 *
 * Each attempt runs through `breaker.run`, which settles the admission it grants exactly once (success, failure or
 * release) on every path, the caller's abort and unclassified errors included: a half-open permit left hanging
 * would stall the fleet's ramp. The cascade only says which verdict an outcome deserves.
 */
import { DEFAULT_BACKOFF_POLICY, type BackoffPolicy } from '../backoff/types.js'
import type { CircuitBreaker, Settled } from '../breaker/circuit-breaker.js'
import type { Admission } from '../breaker/types.js'
import { ContextOverflowError, MalformedOutputError } from '../errors.js'
import { BREAKER_FAILURE_CLASSES, classify, type Classification } from '../failure.js'
import { targetKey, type Target } from '../targets.js'
import { withAttemptSignal } from '../backoff/deadline.js'
import { callerFault, isPerTargetFault, NO_PARENTS, planAttempt, timeSlice, walkOf, type TimeSlice } from './attempt.js'
import { Ledger } from './ledger.js'
import { reopenWait } from './reopen-wait.js'
import { retryWait } from './retry.js'
import { exhausted, knownSoonest, servedBy } from './served.js'
import { preflight, refundLater, spentBy, type Spent, type Ticket } from './preflight.js'
import { fitsTarget, overflow, shedAfterTimeout, halveHistory, summarizeDropped } from './shorten.js'
import type { CascadeRequest, CascadeResult, Intervention } from './types.js'

const ALLOWED: Admission = Object.freeze({ allowed: true, state: 'closed' })
/** Without backoff() in the stack, each target gets exactly one attempt, and a refused walk is not waited out. */
const NO_RETRY: BackoffPolicy = Object.freeze({ ...DEFAULT_BACKOFF_POLICY, maxAttempts: 1, reopenWaitMs: 0 })

/** After a target: try the next one, or stop walking (no time left). */
type Verdict = 'next' | 'stop'
/** After an attempt: done (a result), move on (`Verdict`), or try the same target again. */
const AGAIN = Symbol('again')
type Step<O> = CascadeResult<O> | Verdict | typeof AGAIN

/** Runs an attempt under the breaker; without circuitBreaker() every attempt is let through and nothing is settled. */
type Gate = Pick<CircuitBreaker, 'run'>
const NO_BREAKER: Gate = { run: async (_key, call, _denied, now) => (await call(ALLOWED, now)).value }

/** What one target's visit has used so far (the wait before its next attempt, each kind of try, its quota and ticket). */
interface Visit {
  waitMs: number; failures: number; truncations: number; reasks: number; beforeReask: unknown; spent: Spent; ticket?: Ticket
}

/** Walks `req`'s cascade; a caller's signal aborted already rejects with its reason: nothing is admitted, reserved or sent. */
export function runCascade<I, O>(req: CascadeRequest<I, O>): Promise<CascadeResult<O>> {
  return req.signal?.aborted ? Promise.reject(req.signal.reason) : new CascadeRun(req).execute()
}

class CascadeRun<I, O> {
  readonly ledger: Ledger
  /** Models whose context window the prompt does not fit, even shortened: their other regions are skipped. Made on first use. */
  overflowed: Set<string> | undefined
  readonly backoff: BackoffPolicy
  readonly walk: readonly Target[]
  readonly gate: Gate
  /** The breaker (if any) reads the cascade's clock: a reading of one is good for the other. */
  readonly sharedClock: boolean
  /** Each attempt's time limit: the backoff's, or the call's own (a stream's first-token limit). */
  readonly attemptTimeoutMs: number
  input: I
  unsummarized: I | undefined
  last: { classification: Classification; error: unknown } | undefined
  /**
   * Per target of the walk, when it could serve again (see SoonestByTarget); unset = not known, null = never. Filled
   * as targets fail (a served call makes none of it).
   */
  readonly soonest: (number | undefined | null)[] = []

  constructor(readonly req: CascadeRequest<I, O>) {
    this.backoff = req.policies.backoff?.policy ?? NO_RETRY
    this.walk = walkOf(req)
    this.attemptTimeoutMs = req.attemptTimeoutMs ?? this.backoff.attemptTimeoutMs
    this.gate = req.policies.breaker ?? NO_BREAKER
    this.sharedClock = req.policies.breaker === undefined || req.policies.breaker.clock === req.clock
    this.input = req.input
    this.ledger = new Ledger(req)
  }

  /**
   * Walks the targets; when every one was refused by its breaker and one reopens soon enough, waits for it and walks
   * again (reopen-wait.ts). Throws the typed error of a cascade that served nobody.
   */
  async execute(): Promise<CascadeResult<O>> {
    const { deadline, clock } = this.req
    // The deadline was made just now: its start is this moment's clock reading, for the budget and the first check.
    if (this.req.partOf === undefined) this.req.policies.backoff?.budget.recordRequest(deadline.startedAt)
    // The first walk starts on the deadline's clock reading; a walk after a reopen wait reads the clock after it.
    let fresh: number | undefined = deadline.startedAt
    for (let waitMs = 0, waitedMs = 0; ; fresh = undefined) {
      const from = this.ledger.attempts.length
      const step = await this.walkOnce(fresh, waitMs)
      if (typeof step === 'object') return step
      if (step === 'stop') break
      const soonest = knownSoonest(this.walk, this.soonest, this.overflowed)
      const wait = reopenWait({
        walk: this.ledger.attempts.slice(from), soonest, waitedMs, maxWaitMs: this.backoff.reopenWaitMs, random: this.req.random,
      })
      if (wait === undefined || !deadline.canAfford(wait, this.backoff.minAttemptMs, clock.now())) break
      waitedMs += wait
      waitMs = wait
      this.soonest.length = 0
    }
    throw exhausted(this.req.route, this.ledger.attempts, this.last, knownSoonest(this.walk, this.soonest, this.overflowed))
  }

  /**
   * One walk of the targets; on each, attempts until it serves, is given up on, or time runs out. `fresh` is a clock
   * reading just made, `firstWaitMs` the wait before the walk's first attempt. One async frame for the walk and one
   * per attempt (under the breaker's): each frame is a promise and a microtask per call.
   */
  private async walkOnce(fresh: number | undefined, firstWaitMs: number): Promise<CascadeResult<O> | Verdict> {
    const { deadline, clock } = this.req
    let pendingWait = firstWaitMs
    for (let ti = 0; ti < this.walk.length; ti++) {
      const target = this.walk[ti] as Target
      if (this.overflowed?.has(target.model) || !fitsTarget(this, target, ti)) continue
      const key = targetKey(target)
      const visit: Visit = { waitMs: pendingWait, failures: 0, truncations: 0, reasks: 0, beforeReask: undefined, spent: 'unsent' }
      pendingWait = 0
      for (let attempt = 1; ; attempt++) {
        const waitMs = visit.waitMs
        let now = fresh ?? clock.now()
        fresh = undefined
        if (!deadline.canAfford(waitMs, this.backoff.minAttemptMs, now)) return this.ledger.deadlineSkip(target, attempt, waitMs)
        if (waitMs > 0) {
          await clock.sleep(waitMs, this.req.signal)
          now = clock.now()
        }
        // A throttled container reads the fleet's counts first (at most once a second); then shed by the adaptive
        // throttle, or no room in the target's quota: skipped, walks on (preflight.ts).
        const syncing = this.req.policies.admission?.sync(key, now)
        if (syncing !== undefined) now = await syncing.then(() => clock.now())
        let pre = preflight(this.req, this.ledger, this.input, target, key, attempt, waitMs, now)
        if (pre instanceof Promise) pre = await pre
        if (pre !== undefined && 'retryMs' in pre) {
          this.soonest[ti] = pre.retryMs
          break
        }
        visit.spent = 'unsent'
        if (pre !== undefined) visit.ticket = pre
        let step: Step<O>
        try {
          // The breaker settles each admitted attempt exactly once, after it, whatever it returns or throws.
          step = await this.gate.run<Step<O>>(
            key,
            (admission, admittedAt) => this.attempt(target, ti, key, attempt, admission, visit, admittedAt ?? clock.now()),
            (admission) => {
              this.req.policies.admission?.refused(key, now)
              this.ledger.record(target, attempt, 'skipped-open', 0, waitMs, admission)
              this.soonest[ti] = admission.retryInMs
              return 'next'
            },
            this.sharedClock ? now : undefined,
          )
        } finally {
          if (pre !== undefined) this.req.policies.quota?.settle(pre, visit.spent, clock.now())
        }
        if (step === 'stop') return step
        if (step === 'next') break
        if (step !== AGAIN) return step
      }
    }
    return 'next'
  }

  /**
   * One admitted attempt, sent with its own abort signal (its time slice, or the caller's abort): its outcome for
   * the breaker and what the cascade does next. `now` is when it was admitted.
   */
  private async attempt(
    target: Target, ti: number, key: string, attempt: number, admission: Admission, visit: Visit, now: number,
  ): Promise<Settled<Step<O>>> {
    const { deadline, clock, listener, signal } = this.req
    // Admitted (not shed, in quota, breaker willing): now the dropped turns are worth a summary (shorten.ts).
    if (this.unsummarized !== undefined && this.req.summarize !== undefined) {
      await summarizeDropped(this, target)
      now = clock.now()
    }
    const slice = timeSlice(admission, this.attemptTimeoutMs, deadline, now)
    if (slice.timeoutMs <= 0) return { verdict: 'release', value: this.ledger.deadlineSkip(target, attempt, visit.waitMs) }
    const plan = planAttempt(this.req, target, key, this.input, slice.timeoutMs, now)
    const token = listener?.attemptStart?.(target, attempt, this.req.route)
    const attemptSignal = withAttemptSignal(clock, slice.timeoutMs, signal === undefined ? NO_PARENTS : [signal], now)
    let output: O, endedAt: number | undefined, intervened: Intervention | undefined
    try {
      visit.spent = undefined // sent: kept in full unless the outcome says otherwise
      output = await this.req.call(target, plan.input, attemptSignal.signal)
      endedAt = clock.now()
      intervened = this.req.stopReason?.(output)
      if (intervened === undefined) this.req.validate?.(output)
    } catch (error) {
      // The SDK rejects an aborted send with a bare AbortError and drops the signal's reason: ours says why.
      const cause = attemptSignal.signal.aborted && !signal?.aborted ? attemptSignal.signal.reason : error
      const failedAt = endedAt ?? clock.now()
      const classification = classify(cause, failedAt)
      visit.spent = spentBy(undefined, classification?.failureClass)
      return this.failed(target, ti, attempt, admission, visit, slice, token, error, classification, failedAt - now)
    } finally {
      attemptSignal.dispose()
    }
    visit.spent = spentBy(output, undefined)
    if (visit.spent === undefined) refundLater(this.req.policies.quota, visit.ticket, output)
    return this.succeeded(target, ti, key, attempt, admission, visit.waitMs, plan.cap, token, output, endedAt, endedAt - now, intervened)
  }

  /**
   * A served reply. One a guardrail or the content filter replaced (`intervened`, not validated) is served as it is,
   * flagged, and released: breaker, canary and health learn nothing from it. Elsewhere would meet the same policy.
   */
  private succeeded(
    target: Target, ti: number, key: string, attempt: number, admission: Admission, waitMs: number, cap: number | undefined,
    token: unknown, output: O, endedAt: number, latencyMs: number, intervened: Intervention | undefined,
  ): Settled<Step<O>> {
    const { policies, listener } = this.req
    policies.admission?.accepted(key, endedAt)
    const outputTokens = this.req.measure?.(output)?.outputTokens
    if (intervened === undefined) this.req.latency?.record(key, latencyMs, outputTokens, endedAt)
    const record = this.ledger.record(target, attempt, intervened === undefined ? 'success' : 'intervened', latencyMs, waitMs, admission)
    // Ended before the breaker's verdict is written, so the trace times the Bedrock call and nothing else.
    listener?.attemptEnd?.(token, { record, output })
    if (ti > 0) this.ledger.degrade('fallback-target')
    // The planned cap degraded the reply only if it bit: a reply shorter than the cap is the one asked for.
    if (cap !== undefined && !(outputTokens !== undefined && outputTokens < cap)) this.ledger.degrade('reduced-max-tokens')
    const tier = this.ledger.tierOf(target, output)
    const served = servedBy(this.req.route, target, this.ledger.attempts, this.ledger.degradations, tier, intervened)
    if (intervened !== undefined) listener?.intervened?.(target, intervened, this.req.route)
    listener?.served?.(served)
    // A slow success is a failure to the breaker (slow-call threshold), but the caller still gets the reply.
    const slow = policies.slowCallMs !== undefined && latencyMs > policies.slowCallMs
    return { verdict: intervened ? 'release' : slow ? 'failure' : 'success', value: { output, served, attempts: this.ledger.attempts } }
  }

  /** A failed attempt: classified (or a bug, which propagates), recorded, and what the cascade does about it. */
  private failed(
    target: Target, ti: number, attempt: number, admission: Admission, visit: Visit, slice: TimeSlice, token: unknown,
    error: unknown, classification: Classification | undefined, latencyMs: number,
  ): Settled<Step<O>> {
    const { policies, listener } = this.req
    const waitMs = visit.waitMs
    const isLast = ti === this.walk.length - 1
    if (this.req.signal?.aborted || !classification) {
      listener?.attemptEnd?.(token, { error })
      throw this.req.signal?.aborted ? (this.req.signal.reason ?? error) : error
    }
    const failureClass = classification.failureClass
    // Anything but a 429 is an answer the target accepted to give (the throttle only weighs quota).
    policies.admission?.[failureClass === 'throttled' ? 'throttled' : 'accepted'](targetKey(target), this.req.clock.now())
    const record = this.ledger.record(target, attempt, failureClass, latencyMs, waitMs, admission, classification.errorName)
    listener?.attemptEnd?.(token, { record, error })
    this.last = { classification, error }
    this.soonest[ti] = classification.retryAfterMs
    visit.waitMs = 0
    switch (failureClass) {
      case 'caller-fault': {
        // Refused here for good (no access, no model or tier in this region): it says nothing about when to retry.
        this.soonest[ti] = null
        // A tier ladder's last step refusing its tier ends the walk: what the others did decides the answer (exhausted()).
        const walkOn = !isLast || classification.unsupportedTier === true
        if (walkOn && isPerTargetFault(classification) && policies.fallback?.nextTarget) return { verdict: 'release', value: 'next' }
        throw callerFault(classification, error)
      }
      case 'context-overflow': {
        // A shortened request is a new request: it does not use up an attempt.
        if (halveHistory(this, visit)) return { verdict: 'release', value: AGAIN }
        if (overflow(this, target, ti)) return { verdict: 'release', value: 'next' }
        throw new ContextOverflowError('the prompt is too long for the model, even after shortening the history', error)
      }
      case 'malformed-output': {
        const reask = this.req.adapter?.reask
        const outOfReasks = visit.reasks >= (policies.fallback?.malformedRetries ?? 0)
        if (!reask || outOfReasks || !(error instanceof MalformedOutputError) || !error.reaskable) {
          // The next target never replied: it gets the request without this target's re-ask instruction.
          if (visit.beforeReask !== undefined) this.input = visit.beforeReask as I
          return { verdict: 'release', value: 'next' }
        }
        visit.beforeReask ??= this.input
        this.input = reask(this.input, error)
        visit.reasks++
        return { verdict: 'release', value: AGAIN }
      }
      default: {
        visit.failures++
        if (failureClass === 'timed-out' && policies.fallback) shedAfterTimeout(this, policies.fallback, visit)
        const delay = retryWait(this.req, this.ledger, this.backoff, {
          target, isLast, attempt, failures: visit.failures, c: classification, admission,
        })
        // A throttle retried in place is one visit: only giving up on the target counts against its breaker.
        // A timeout the Lambda deadline imposed is not the target's fault.
        const counts = (policies.breakerClasses ?? BREAKER_FAILURE_CLASSES).has(failureClass)
          && !(failureClass === 'throttled' && delay !== undefined)
          && !(failureClass === 'timed-out' && slice.deadlineBound)
        const verdict = counts ? 'failure' : 'release'
        if (delay === undefined) return { verdict, value: 'next' }
        visit.waitMs = delay
        listener?.retry?.(target, delay, failureClass, this.req.route)
        return { verdict, value: AGAIN }
      }
    }
  }
}
