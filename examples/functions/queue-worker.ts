/**
 * The worker of the queue path (template.yaml QueueWorkerFunction, triggered by the request queue): each record
 * through the same Breakwater preset, Powertools batch processing and idempotency (one Bedrock call per request id,
 * however often the message is delivered). A record its targets cannot serve now is made visible again when they
 * can; one that can never be served goes to the dead-letter queue at once; answers go to the results table, the
 * large ones to the results bucket.
 *
 * Built by `npm run build:examples` into layer/functions/chat/. It bundles nothing: everything it imports comes from
 * the Breakwater layer at /opt/nodejs/node_modules.
 */
import { Logger } from '@aws-lambda-powertools/logger'
import { Metrics } from '@aws-lambda-powertools/metrics'
import { Tracer } from '@aws-lambda-powertools/tracer'
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb'
import { RequestQueue, ResultsStore } from '../../src/queue.js'
import { createWorkerHandler } from '../queue/queue-handlers.js'
import { IDEMPOTENCY_TABLE_KEYS, required, RESULTS_TTL_SECONDS, routesFromEnv } from './config.js'

// Service name, namespace and log level come from POWERTOOLS_* variables (template.yaml Globals).
const logger = new Logger()
const metrics = new Metrics()
const tracer = new Tracer()

export const handler = createWorkerHandler({
  routes: routesFromEnv(process.env),
  breaker: { tableName: required(process.env, 'BREAKER_TABLE') },
  logger,
  metrics,
  tracer,
  queue: new RequestQueue({
    queueUrl: required(process.env, 'REQUEST_QUEUE_URL'),
    deadLetterQueueUrl: required(process.env, 'REQUEST_DEAD_LETTER_QUEUE_URL'),
  }),
  results: new ResultsStore({
    tableName: required(process.env, 'RESULTS_TABLE'),
    bucketName: required(process.env, 'RESULTS_BUCKET'),
    ttlSeconds: RESULTS_TTL_SECONDS,
  }),
  idempotency: new DynamoDBPersistenceLayer({ tableName: required(process.env, 'IDEMPOTENCY_TABLE'), ...IDEMPOTENCY_TABLE_KEYS }),
})
