/** The queue path's options are checked like every other: a BreakwaterConfigError naming the field. */
import { describe, expect, it } from '@jest/globals'
import { BreakwaterConfigError } from '../../src/index.js'
import { acceptAndQueue, queueWorker, requestStatus, RequestQueue, ResultsStore } from '../../src/queue.js'

const queue = { send: async () => undefined }
const worker = {
  queue: { redeliverIn: async () => undefined, requeue: async () => undefined, deadLetter: async () => undefined },
  results: { get: async () => undefined, done: async () => undefined, failed: async () => undefined },
  serve: async () => 'answer',
}
const fieldOf = (make: () => unknown): string => {
  try {
    make()
  } catch (error) {
    if (error instanceof BreakwaterConfigError) return error.field
    throw error
  }
  throw new Error('no BreakwaterConfigError')
}

describe('queue path options', () => {
  it('names the field that is wrong, at every entry', () => {
    expect(fieldOf(() => acceptAndQueue({} as never))).toBe('queue')
    expect(fieldOf(() => acceptAndQueue({ queue, whenRequested: 'yes' } as never))).toBe('whenRequested')
    expect(fieldOf(() => acceptAndQueue({ queue, pollAfterSeconds: 1.5 }))).toBe('pollAfterSeconds')
    expect(fieldOf(() => acceptAndQueue({ queue, statusURL: () => '' } as never))).toBe('statusURL')
    expect(fieldOf(() => requestStatus({ results: {} } as never))).toBe('results')
    expect(fieldOf(() => new RequestQueue({ queueUrl: 'requests' }))).toBe('queueUrl')
    expect(fieldOf(() => new RequestQueue({ queueUrl: 'https://sqs.us-east-1.amazonaws.com/1/q', deadLetterQueueUrl: 5 } as never)))
      .toBe('deadLetterQueueUrl')
    expect(fieldOf(() => new ResultsStore({ tableName: 'results', inlineLimitBytes: 500_000 }))).toBe('inlineLimitBytes')
    expect(fieldOf(() => new ResultsStore({ tableName: 'results', ttl: 5 } as never))).toBe('ttl')
    expect(fieldOf(() => queueWorker({ ...worker, serve: 'yes' } as never))).toBe('serve')
    expect(fieldOf(() => queueWorker({ ...worker, queue: { redeliverIn: async () => undefined } } as never))).toBe('queue')
    expect(fieldOf(() => queueWorker({ ...worker, redelivery: { ageShare: 2 } }))).toBe('redelivery.ageShare')
    expect(fieldOf(() => queueWorker({ ...worker, redelivery: { requeueAtReceiveCount: 0 } }))).toBe('redelivery.requeueAtReceiveCount')
    expect(fieldOf(() => queueWorker({ ...worker, redelivery: { retries: 3 } } as never))).toBe('redelivery.retries')
    const inverted = { minDelaySeconds: 60, maxDelaySeconds: 30 }
    expect(fieldOf(() => queueWorker({ ...worker, redelivery: inverted }))).toBe('redelivery.minDelaySeconds')
  })

  it('accepts a complete, valid set', () => {
    expect(() => acceptAndQueue({
      queue, results: { accepted: async () => undefined }, whenRequested: false, whenUnavailable: true,
      statusUrl: (id) => `/v1/requests/${id}`, payload: (e) => e, pollAfterSeconds: 5, clock: { now: () => 0 }, newId: () => 'abcdefgh',
    })).not.toThrow()
    const redelivery = { maxDelaySeconds: 3_600, requeueAtReceiveCount: 2 }
    expect(() => queueWorker({ ...worker, redelivery, random: Math.random })).not.toThrow()
  })
})
