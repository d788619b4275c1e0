/**
 * What serving a queued record ended in, read off the error the cascade threw: "not now" (no target could serve,
 * with the cascade's hint of when one can), "never" (the caller's fault: the same request fails the same way every
 * time), or undefined for anything else — a bug or an unknown failure, which takes SQS's plain redelivery.
 */
import { AllTargetsFailedError, CallerFaultError } from '../errors.js'
import type { RecordVerdict } from './redelivery.js'

export function verdictOf(error: unknown): RecordVerdict | undefined {
  if (error instanceof AllTargetsFailedError) {
    return { kind: 'not-now', retryAfterSeconds: error.retryAfterSeconds, retryAfterAtMostSeconds: error.retryAfterAtMostSeconds }
  }
  // The error's name is the reason: never its message, which may quote the request.
  if (error instanceof CallerFaultError) return { kind: 'never', reason: error.name }
  return undefined
}
