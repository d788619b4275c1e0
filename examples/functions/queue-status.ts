/**
 * The status function of the queue path (template.yaml RequestStatusFunction, HTTP API GET /requests/{id}):
 * `pending`, `done` with the answer (read from the results bucket when it was too large for the table) or `failed`
 * with its reason.
 *
 * It takes requestStatus() from 'breakwater/queue' itself rather than createStatusHandler() from
 * examples/queue/queue-handlers.ts, which is the same function: importing that module would load the worker's
 * Powertools batch and idempotency, Middy and the Bedrock client into a function that polls a table.
 *
 * Built by `npm run build:examples` into layer/functions/chat/; 'breakwater/queue' comes from the Breakwater layer.
 */
import { requestStatus, ResultsStore } from '../../src/queue.js'
import { required } from './config.js'

export const handler = requestStatus({
  results: new ResultsStore({ tableName: required(process.env, 'RESULTS_TABLE'), bucketName: required(process.env, 'RESULTS_BUCKET') }),
})
