/**
 * queueWorker's decisions per record, with in-memory queue and results (the real-wire path is
 * test/scenarios/queue-outage.test.ts): what is served, skipped as a duplicate, timed back to the breaker, requeued
 * before the redrive, held for the rest of a batch, dead-lettered, or left to SQS.
 */
import { describe, expect, it } from '@jest/globals'
import type { SQSRecord } from 'aws-lambda'
import { AllTargetsFailedError, BadRequestError } from '../../src/index.js'
import { queueWorker, RedeliverLaterError, type QueuedRequest, type RequestOutcome } from '../../src/queue.js'

const T0 = 1_750_000_000_000
const request = (id: string): QueuedRequest => ({ v: 1, id: `request-${id}`, acceptedAt: T0, why: 'unavailable', payload: { prompt: id } })
const record = (id: string, receiveCount = 1, body = JSON.stringify(request(id))): SQSRecord => ({
  messageId: `m-${id}`, receiptHandle: `h-${id}`, body,
  attributes: {
    ApproximateReceiveCount: String(receiveCount), SentTimestamp: String(T0), SenderId: 's', ApproximateFirstReceiveTimestamp: String(T0),
  },
  messageAttributes: {}, md5OfBody: '', eventSource: 'aws:sqs', eventSourceARN: 'arn:aws:sqs:us-east-1:1:requests', awsRegion: 'us-east-1',
})
const allOpen = (retryAfterSeconds: number) => new AllTargetsFailedError('every target open', {
  attempts: [], lastClass: 'unavailable', retryAfterSeconds,
})

function rig(serve: (r: QueuedRequest) => Promise<unknown>, done: readonly string[] = []) {
  const clock = { t: T0, now: () => clock.t }
  const log: string[] = []
  const counted: string[] = []
  const outcomes = new Map<string, RequestOutcome>(done.map((id) => [id, { id, status: 'done', acceptedAt: T0 }]))
  const worker = queueWorker({
    queue: {
      redeliverIn: async (handle, s) => { log.push(`redeliver ${handle} ${s}`) },
      requeue: async (r, s) => { log.push(`requeue ${r.id} ${s}`) },
      deadLetter: async (_body, id, reason) => { log.push(`dead-letter ${id ?? '?'} ${reason}`) },
    },
    results: {
      get: async (id) => outcomes.get(id),
      done: async (id) => { log.push(`done ${id}`) },
      failed: async (id, _at, reason) => { log.push(`failed ${id} ${reason}`) },
    },
    serve: async (r) => {
      log.push(`serve ${r.id}`)
      return serve(r)
    },
    metrics: { addMetric: (name: string) => { counted.push(name) } } as never,
    clock, random: () => 0,
  })
  return { worker, log, clock, counted }
}

describe('queueWorker', () => {
  it('serves a record and stores the answer; a request already done is not served again', async () => {
    const { worker, log, counted } = rig(async () => 'answer', ['request-b'])
    expect(await worker(record('a'))).toBe('served')
    expect(await worker(record('b'))).toBe('duplicate')
    expect(log).toEqual(['serve request-a', 'done request-a'])
    expect(counted).toEqual(['QueuedRequestsServed', 'QueuedDuplicates'])
  })

  it('times an unserved record to the reopen, and holds the rest of the batch without trying them', async () => {
    const { worker, log, clock } = rig(async () => { throw allOpen(5) })
    await expect(worker(record('a'))).rejects.toBeInstanceOf(RedeliverLaterError)
    clock.t += 2_000
    await expect(worker(record('b'))).rejects.toMatchObject({ name: 'RedeliverLaterError', visibilitySeconds: 3 })
    clock.t += 3_000
    await expect(worker(record('c'))).rejects.toBeInstanceOf(RedeliverLaterError)
    expect(log).toEqual(['serve request-a', 'redeliver h-a 5', 'redeliver h-b 3', 'serve request-c', 'redeliver h-c 5'])
  })

  it('requeues a record received 3 times as a fresh copy and lets the batch delete the original', async () => {
    const { worker, log, counted } = rig(async () => { throw allOpen(5) })
    expect(await worker(record('a', 3))).toBe('requeued')
    expect(log).toEqual(['serve request-a', 'requeue request-a 5'])
    expect(counted).toEqual(['QueueRequeues'])
  })

  it('dead-letters a caller fault and a body that is not ours at once, with the reason', async () => {
    const { worker, log } = rig(async () => { throw new BadRequestError('no prompt') })
    expect(await worker(record('a'))).toBe('dead-lettered')
    expect(await worker(record('x', 1, '{"not":"ours"}'))).toBe('dead-lettered')
    expect(log).toEqual([
      'serve request-a', 'dead-letter request-a BadRequestError', 'failed request-a BadRequestError', 'dead-letter ? BadRequestError',
    ])
  })

  it('leaves anything else to SQS: rethrown as is, nothing redelivered or held', async () => {
    const bug = new TypeError('bug')
    const { worker, log } = rig(async () => { throw bug })
    await expect(worker(record('a'))).rejects.toBe(bug)
    await expect(worker(record('b'))).rejects.toBe(bug)
    expect(log).toEqual(['serve request-a', 'serve request-b'])
  })
})
