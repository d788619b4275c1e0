/**
 * The chat example of template.yaml: the sample chat handler (examples/chat/chat-handler.ts) behind the Breakwater
 * preset, configured from the environment. One module serves ChatFunction (HTTP API and function URL) and
 * ChatWorkerFunction (SQS, partial batch responses): the handler tells the event sources apart itself.
 *
 * Built by `npm run build:examples` into layer/functions/chat/. It bundles nothing: 'breakwater', Middy, Powertools
 * and the SDK clients come from the Breakwater layer at /opt/nodejs/node_modules.
 */
import { Logger } from '@aws-lambda-powertools/logger'
import { Metrics } from '@aws-lambda-powertools/metrics'
import { Tracer } from '@aws-lambda-powertools/tracer'
import { createHandler } from '../chat/chat-handler.js'
import { required, routesFromEnv } from './config.js'

// Service name, namespace and log level come from POWERTOOLS_* variables (template.yaml Globals).
const logger = new Logger()
const metrics = new Metrics()
const tracer = new Tracer()

export const handler = createHandler({
  routes: routesFromEnv(process.env),
  breaker: { tableName: required(process.env, 'BREAKER_TABLE') },
  logger,
  metrics,
  tracer,
})
