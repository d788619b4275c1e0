/**
 * The streaming chat of template.yaml (ChatStreamFunction, a function URL in RESPONSE_STREAM mode): the sample
 * streaming handler (examples/chat/chat-stream-handler.ts) behind the Breakwater preset, configured from the
 * environment like the buffered chat. Server-sent events out: `token`, `restart`, then `done` or `error`.
 *
 * Built by `npm run build:examples` into layer/functions/chat/. It bundles nothing: 'breakwater', Middy, Powertools
 * and the SDK clients come from the Breakwater layer at /opt/nodejs/node_modules.
 */
import { Logger } from '@aws-lambda-powertools/logger'
import { Metrics } from '@aws-lambda-powertools/metrics'
import { Tracer } from '@aws-lambda-powertools/tracer'
import { createStreamHandler } from '../chat/chat-stream-handler.js'
import { required, routesFromEnv } from './config.js'

// Service name, namespace and log level come from POWERTOOLS_* variables (template.yaml Globals).
const logger = new Logger()
const metrics = new Metrics()
const tracer = new Tracer()

export const handler = createStreamHandler({
  routes: routesFromEnv(process.env),
  breaker: { tableName: required(process.env, 'BREAKER_TABLE') },
  logger,
  metrics,
  tracer,
})
