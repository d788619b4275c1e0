/**
 * Powertools Tracer glue: one X-Ray subsegment per upstream attempt, annotated with the model id, region, attempt
 * number, outcome and token counts, so a trace shows which region served, which failed and why, and what it cost.
 *
 * While an attempt runs its subsegment is the current segment, so the SDK's own subsegments (when the client is
 * captured with `tracer.captureAWSv3Client`) nest under the attempt that made them; the parent is restored when the
 * attempt ends. Like Powertools' own `captureMethod`, this relies on the segment context of the invocation: attempts
 * of two `converse()` calls run concurrently (`Promise.all`) may nest under one another in the trace.
 */
import type { AttemptEnd, CascadeListener } from '../core/invoker/types.js'
import { reportableError } from '../core/error-report.js'
import { targetKey } from '../core/targets.js'

export { mergeListeners } from '../core/invoker/listeners.js'

type AnnotationValue = string | number | boolean

/** The part of an X-Ray segment or subsegment used here (aws-xray-sdk-core's `Segment` and `Subsegment` fit). */
export interface TraceSegment {
  addNewSubsegment(name: string): TraceSubsegment
}

export interface TraceSubsegment extends TraceSegment {
  addAnnotation(key: string, value: AnnotationValue): void
  addError(error: Error | string, remote?: boolean): void
  close(): void
}

/** The part of a Powertools `Tracer` (`@aws-lambda-powertools/tracer`) used here. A `Tracer` fits; tests pass a fake. */
export interface TracerLike {
  isTracingEnabled(): boolean
  getSegment(): TraceSegment | undefined
  setSegment(segment: TraceSegment): void
}

/** The annotation keys on each attempt's subsegment. */
export const TRACE_ANNOTATION = {
  model: 'model_id',
  region: 'region',
  attempt: 'attempt',
  route: 'route',
  outcome: 'outcome',
  inputTokens: 'input_tokens',
  outputTokens: 'output_tokens',
  totalTokens: 'total_tokens',
} as const

interface OpenAttempt {
  readonly parent: TraceSegment
  readonly subsegment: TraceSubsegment
}

/** A Converse reply's `usage`, read structurally (an InvokeModel reply has none: its counts are in the body). */
function usageOf(output: unknown): Partial<Record<'inputTokens' | 'outputTokens' | 'totalTokens', unknown>> | undefined {
  const usage = typeof output === 'object' && output !== null ? (output as { usage?: unknown }).usage : undefined
  return typeof usage === 'object' && usage !== null ? usage : undefined
}

/**
 * A CascadeListener that traces each attempt. Does nothing when tracing is disabled (outside Lambda, or
 * `POWERTOOLS_TRACE_ENABLED=false`) or there is no current segment. Never throws into the request: a tracing
 * failure loses a subsegment, not a reply. An error is recorded by name, stack frames and Breakwater's own message;
 * `errorMessages: true` records upstream messages too (they can quote the prompt or the reply).
 *
 * @example
 * const tracer = new Tracer({ serviceName: 'chat' })
 * const listener = mergeListeners(cascadeListener({ logger, metrics }), tracingListener(tracer))
 */
export function tracingListener(tracer: TracerLike, options: { readonly errorMessages?: boolean } = {}): CascadeListener {
  const t = tracer
  const messages = options.errorMessages === true
  return {
    attemptStart(target, attempt, route): OpenAttempt | undefined {
      try {
        if (!t.isTracingEnabled()) return undefined
        const parent = t.getSegment()
        if (parent === undefined) return undefined
        const subsegment = parent.addNewSubsegment(`### bedrock ${targetKey(target)}`)
        subsegment.addAnnotation(TRACE_ANNOTATION.model, target.model)
        subsegment.addAnnotation(TRACE_ANNOTATION.region, target.region)
        subsegment.addAnnotation(TRACE_ANNOTATION.attempt, attempt)
        subsegment.addAnnotation(TRACE_ANNOTATION.route, route)
        t.setSegment(subsegment)
        return { parent, subsegment }
      } catch {
        return undefined
      }
    },
    attemptEnd(token, end: AttemptEnd) {
      if (token === undefined) return
      const { parent, subsegment } = token as OpenAttempt
      try {
        if (end.record) subsegment.addAnnotation(TRACE_ANNOTATION.outcome, end.record.outcome)
        const usage = usageOf(end.output)
        for (const key of ['inputTokens', 'outputTokens', 'totalTokens'] as const) {
          const value = usage?.[key]
          if (typeof value === 'number') subsegment.addAnnotation(TRACE_ANNOTATION[key], value)
        }
        // X-Ray keeps the exception's message and stack: only what may be reported (no Bedrock text, no reply).
        if (end.error !== undefined) subsegment.addError(reportableError(end.error, { messages }), true)
        subsegment.close()
      } catch {
        // ignored: see above
      } finally {
        try { t.setSegment(parent) } catch { /* ignored */ }
      }
    },
  }
}
