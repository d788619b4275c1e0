/** gracefulDegradation()'s options, as data. */
import { boolean, func, methods, number, object, string } from '../../core/config/index.js'
import { MAX_RETRY_AFTER_SECONDS } from '../../responders/classify-reply.js'
import { METRICS } from './shared.js'

export const DEGRADATION_SOURCE = 'breakwater/graceful-degradation'

export const GRACEFUL_DEGRADATION_OPTIONS = object({
  message: string({ minLength: 1, must: 'must be a non-empty string' }),
  retryAfterSeconds: number({
    integer: true, min: 0, max: MAX_RETRY_AFTER_SECONDS,
    must: `must be a whole number of seconds from 0 to ${MAX_RETRY_AFTER_SECONDS}`,
    why: 'Retry-After is an integer number of seconds (RFC 9110 §10.2.3), and a day is the longest worth saying',
  }),
  logger: methods(['error', 'warn']),
  logErrorMessages: boolean(),
  metrics: METRICS,
  reply: func('(reply, source, request) => result'),
}, { source: DEGRADATION_SOURCE, label: 'a gracefulDegradation' })
