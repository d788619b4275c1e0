/**
 * The engine: walks a route's cascade of targets under the breaker, backoff and fallback policies in force, and
 * either returns the first good output or throws a typed error. Pure of AWS: the call itself is injected.
 */
import type { AttemptOutcome, AttemptRecord } from '../attempts.js'
import { DEFAULT_BACKOFF_POLICY } from '../backoff/types.js'
import { retryDelay } from '../backoff/jitter.js'
import { withAttemptSignal } from '../backoff/deadline.js'
import type { Admission } from '../breaker/types.js'
import { AllTargetsFailedError, CallerFaultError, ContextOverflowError, MalformedOutputError } from '../errors.js'
import { BREAKER_FAILURE_CLASSES, classify, type Classification } from '../failure.js'
import { targetKey, type Target } from '../targets.js'
import type { CascadeRequest, CascadeResult, Degradation } from './types.js'
import { servedBy } from './served.js'

const ALLOWED: Admission = { allowed: true, state: 'closed' }
/** Without backoff() in the stack, each target gets exactly one attempt. */
const NO_RETRY = { ...DEFAULT_BACKOFF_POLICY, maxAttempts: 1 }

/** What to do after a failed attempt. */
type Next = 'retry' | 'next-target' | 'stop'

export async function runCascade<I, O>(req: CascadeRequest<I, O>): Promise<CascadeResult<O>> {
  const { policies, deadline, clock, listener } = req
  const backoff = policies.backoff?.policy ?? NO_RETRY
  const walk = policies.fallback?.nextTarget === false || !policies.fallback ? req.targets.slice(0, 1) : req.targets
  const attempts: AttemptRecord[] = []
  const degradations: Degradation[] = []
  const degrade = (d: Degradation): void => { if (!degradations.includes(d)) degradations.push(d) }
  let input = req.input
  let last: { classification: Classification; error: unknown } | undefined
  let soonestReopenMs: number | undefined
  /** Models whose context window the prompt does not fit, even shortened. */
  const overflowed = new Set<string>()
  policies.backoff?.budget.recordRequest()

  const record = (target: Target, attempt: number, outcome: AttemptOutcome, latencyMs: number, waitMs: number, extra?: Pick<AttemptRecord, 'errorName' | 'breakerState'>): void => {
    const r: AttemptRecord = { target, attempt, outcome, latencyMs, waitMs, ...extra }
    attempts.push(r)
    listener?.attempt?.(r, req.route)
  }
  const breakerOf = (a: Admission): Pick<AttemptRecord, 'breakerState'> => (policies.breaker ? { breakerState: a.state } : {})

  targets: for (let ti = 0; ti < walk.length; ti++) {
    const target = walk[ti] as Target
    if (overflowed.has(target.model)) continue
    const key = targetKey(target)
    const isLast = ti === walk.length - 1
    let waitMs = 0
    let failures = 0
    let truncations = 0
    let reasks = 0
    for (let attempt = 1; ; attempt++) {
      if (!deadline.canAfford(waitMs, backoff.minAttemptMs)) {
        record(target, attempt, 'skipped-deadline', 0, waitMs)
        listener?.deadlineSkip?.(target, req.route)
        break targets
      }
      if (waitMs > 0) await clock.sleep(waitMs, req.signal)
      const admission = policies.breaker ? await policies.breaker.admit(key) : ALLOWED
      if (!admission.allowed) {
        record(target, attempt, 'skipped-open', 0, waitMs, breakerOf(admission))
        soonestReopenMs = Math.min(soonestReopenMs ?? Infinity, admission.retryInMs)
        continue targets
      }
      const timeoutMs = deadline.attemptTimeoutMs(backoff.attemptTimeoutMs)
      const attemptSignal = withAttemptSignal(clock, timeoutMs, [req.signal])
      const started = clock.now()
      try {
        const output = await req.call(target, input, attemptSignal.signal)
        req.validate?.(output)
        await policies.breaker?.onSuccess(key, admission)
        record(target, attempt, 'success', clock.now() - started, waitMs, breakerOf(admission))
        if (ti > 0) degrade('fallback-target')
        const served = servedBy(req.route, target, attempts, degradations)
        listener?.served?.(served)
        return { output, served, attempts }
      } catch (error) {
        if (req.signal?.aborted) throw req.signal.reason ?? error
        // The SDK rejects an aborted send with a bare AbortError and drops the signal's reason: ours says why.
        const classification = classify(attemptSignal.signal.aborted ? attemptSignal.signal.reason : error)
        if (!classification) {
          await policies.breaker?.release(key, admission)
          throw error
        }
        const { failureClass } = classification
        record(target, attempt, failureClass, clock.now() - started, waitMs, { errorName: classification.errorName, ...breakerOf(admission) })
        last = { classification, error }
        const countsAgainst = (policies.breakerClasses ?? BREAKER_FAILURE_CLASSES).has(failureClass)
        if (countsAgainst) await policies.breaker?.onFailure(key, admission)
        else await policies.breaker?.release(key, admission)
        waitMs = 0
        let next: Next
        switch (failureClass) {
          case 'caller-fault':
            throw callerFault(classification, error)
          case 'context-overflow': {
            const shorter = policies.fallback && truncations < policies.fallback.maxTruncations ? req.adapter?.truncate?.(input) : undefined
            if (!shorter) {
              // Another region of the same model has the same window; another model may have a larger one.
              overflowed.add(target.model)
              if (walk.slice(ti + 1).some((t) => !overflowed.has(t.model))) continue targets
              throw new ContextOverflowError('the prompt is too long for the model, even after shortening the history', error)
            }
            input = shorter
            truncations++
            degrade('truncated-context')
            continue // a shortened request is a new request: it does not use up an attempt
          }
          case 'malformed-output':
            if (policies.fallback && reasks < policies.fallback.malformedRetries && req.adapter?.reask && error instanceof MalformedOutputError) {
              input = req.adapter.reask(input, error)
              reasks++
              continue
            }
            next = 'next-target'
            break
          default: {
            failures++
            if (failureClass === 'timed-out' && policies.fallback && req.adapter?.reduceTokens) {
              input = req.adapter.reduceTokens(input)
              degrade('reduced-max-tokens')
            }
            // Throttling is retried in place (the quota refills); a 5xx or timeout moves on at once while another
            // target exists, and is retried in place only on the last one.
            const retryHere = failureClass === 'throttled' || isLast
            next = retryHere && failures < backoff.maxAttempts ? 'retry' : 'next-target'
          }
        }
        if (next === 'retry') {
          if (!policies.backoff) continue targets
          const delay = retryDelay({ failureClass, retryNumber: failures - 1, retryAfterMs: classification.retryAfterMs, policy: backoff, random: req.random })
          if (!Number.isFinite(delay)) continue targets
          if (!deadline.canAfford(delay, backoff.minAttemptMs)) {
            // No time to wait here; the next target needs no wait and may still fit (checked at its first attempt).
            record(target, attempt + 1, 'skipped-deadline', 0, 0)
            listener?.deadlineSkip?.(target, req.route)
            continue targets
          }
          if (!policies.backoff.budget.tryAcquireRetry()) {
            record(target, attempt + 1, 'skipped-budget', 0, 0)
            continue targets
          }
          waitMs = delay
          listener?.retry?.(target, delay, failureClass, req.route)
          continue
        }
        continue targets
      } finally {
        attemptSignal.dispose()
      }
    }
  }
  throw exhausted(req.route, attempts, last, soonestReopenMs)
}

/**
 * The caller's reply must not carry Bedrock's own text: an AccessDenied names the account, the role and the model
 * ARN. The upstream error stays in `cause`, for the logs.
 */
const CALLER_FAULT_MESSAGES: Readonly<Record<number, string>> = {
  400: 'The model rejected the request as invalid.',
  403: 'This service is not allowed to use the model.',
  404: 'The model is not available.',
}

function callerFault(c: Classification, error: unknown): CallerFaultError {
  const statusCode = c.errorName === 'AccessDeniedException' ? 403 : c.errorName === 'ResourceNotFoundException' ? 404 : 400
  return new CallerFaultError(`${CALLER_FAULT_MESSAGES[statusCode]} (${c.errorName})`, { source: 'breakwater/invoker', statusCode, cause: error })
}

function exhausted(
  route: string,
  attempts: readonly AttemptRecord[],
  last: { classification: Classification; error: unknown } | undefined,
  soonestReopenMs: number | undefined,
): AllTargetsFailedError {
  const hintMs = soonestReopenMs ?? last?.classification.retryAfterMs
  const retryAfterSeconds = hintMs === undefined ? undefined : Math.max(1, Math.ceil(hintMs / 1000))
  const calls = attempts.filter((a) => !a.outcome.startsWith('skipped')).length
  return new AllTargetsFailedError(
    `route "${route}": no target could serve the request (${calls} calls, last: ${last?.classification.errorName ?? 'none made'})`,
    { attempts, lastClass: last?.classification.failureClass, retryAfterSeconds, cause: last?.error },
  )
}
