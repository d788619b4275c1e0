/**
 * The request function of the queue path (template.yaml QueueRequestFunction, HTTP API POST /requests): the sample
 * chat behind the Breakwater preset, plus acceptAndQueue(). A request marked `Prefer: respond-async`, or one no
 * target can serve now, is put on the request queue and answered 202 with its status URL (`/requests/<id>`, the
 * RequestStatusFunction's route on the same API); any other is answered at once, as POST /chat would.
 *
 * Built by `npm run build:examples` into layer/functions/chat/. It bundles nothing: 'breakwater', 'breakwater/queue',
 * Middy, Powertools and the SDK clients come from the Breakwater layer at /opt/nodejs/node_modules.
 */
import { Logger } from '@aws-lambda-powertools/logger'
import { Metrics } from '@aws-lambda-powertools/metrics'
import { Tracer } from '@aws-lambda-powertools/tracer'
import { RequestQueue, ResultsStore } from '../../src/queue.js'
import { createRequestHandler } from '../queue/queue-handlers.js'
import { required, RESULTS_TTL_SECONDS, routesFromEnv } from './config.js'

// Service name, namespace and log level come from POWERTOOLS_* variables (template.yaml Globals).
const logger = new Logger()
const metrics = new Metrics()
const tracer = new Tracer()

export const handler = createRequestHandler({
  routes: routesFromEnv(process.env),
  breaker: { tableName: required(process.env, 'BREAKER_TABLE') },
  logger,
  metrics,
  tracer,
  queue: new RequestQueue({ queueUrl: required(process.env, 'REQUEST_QUEUE_URL') }),
  // The front only records `pending` (PutItem); answers and their S3 objects are the worker's to write.
  results: new ResultsStore({ tableName: required(process.env, 'RESULTS_TABLE'), ttlSeconds: RESULTS_TTL_SECONDS }),
})
