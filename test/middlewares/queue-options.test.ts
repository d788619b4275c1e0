/** The queue path's options are checked like every other: a BreakwaterConfigError naming the field. */
import { describe, expect, it } from '@jest/globals'
import { BreakwaterConfigError } from '../../src/index.js'
import { acceptAndQueue, requestStatus, RequestQueue, ResultsStore } from '../../src/queue.js'

const queue = { send: async () => undefined }
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
  })

  it('accepts a complete, valid set', () => {
    expect(() => acceptAndQueue({
      queue, results: { accepted: async () => undefined }, whenRequested: false, whenUnavailable: true,
      statusUrl: (id) => `/v1/requests/${id}`, payload: (e) => e, pollAfterSeconds: 5, clock: { now: () => 0 }, newId: () => 'abcdefgh',
    })).not.toThrow()
  })
})
