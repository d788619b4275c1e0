/** Option schemas several middlewares share: the duck-typed Powertools collaborators and the clock. */
import { boolean, methods } from '../../core/config/index.js'

/** A Powertools Logger, or anything with its debug(), info() and warn(). */
export const LOGGER = methods(['debug', 'info', 'warn'])
/** A Powertools Metrics, or anything with its addMetric(). */
export const METRICS = methods(['addMetric'])
/** A clock: `now()` and an abortable `sleep(ms, signal)`. */
export const CLOCK = methods(['now', 'sleep'])

/** The `Observability` options (aws/observability.ts). */
export const OBSERVABILITY = { logger: LOGGER, metrics: METRICS, logErrorMessages: boolean() } as const
