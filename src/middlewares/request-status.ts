/**
 * requestStatus(): the handler behind `GET /requests/{id}`: `pending`, `done` with the answer, or `failed` with its
 * reason, read from the results table (consistently, so a poll right after the worker wrote sees it). An id that was
 * never accepted, or whose outcome expired, is a 404; an id that cannot be one of ours is a 400.
 *
 * @example
 * import { requestStatus, ResultsStore } from 'breakwater/queue'
 * export const handler = requestStatus({ results: new ResultsStore({ tableName: process.env.RESULTS_TABLE! }) })
 */
import { methods, object, parseOptions, required } from '../core/config/index.js'
import { REQUEST_ID } from '../core/queue/envelope.js'
import { isRecord } from '../responders/detect.js'
import type { ResultsStore } from '../aws/queue/results-store.js'

const SOURCE = 'breakwater/request-status'

export interface RequestStatusOptions {
  readonly results: Pick<ResultsStore, 'get'>
}

const OPTIONS = object({
  results: required(methods(['get'], { must: 'must be a ResultsStore (an object with get())' }), 'is required: the results store'),
}, { label: 'a requestStatus', source: SOURCE })

export interface StatusResult { statusCode: number; headers: Record<string, string>; body: string }

export function requestStatus(options: RequestStatusOptions): (event: unknown) => Promise<StatusResult> {
  parseOptions(OPTIONS, options ?? {}, SOURCE)
  const { results } = options
  return async function requestStatusHandler(event) {
    const id = isRecord(event) && isRecord(event.pathParameters) ? event.pathParameters.id : undefined
    if (typeof id !== 'string' || !REQUEST_ID.test(id)) return json(400, { message: 'Not a request id' })
    const outcome = await results.get(id)
    if (outcome === undefined) return json(404, { message: 'No such request (or its result has expired)', requestId: id })
    const headers: Record<string, string> = outcome.status === 'pending' ? { 'retry-after': '2' } : {}
    const { id: _, ...rest } = outcome
    return json(200, { requestId: id, ...rest }, headers)
  }
}

function json(statusCode: number, body: unknown, extra: Record<string, string> = {}): StatusResult {
  return { statusCode, headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...extra }, body: JSON.stringify(body) }
}
