/**
 * What Lambda's SQS event-source mapping does, on 127.0.0.1: long-polls the queue, hands each batch to the handler
 * as an SQSEvent, deletes the records the handler did not report in `batchItemFailures` (all of them stay when the
 * handler throws), and runs at most `maximumConcurrency` batches at once (the mapping's `MaximumConcurrency`), each
 * slot in a container of its own: `container()` builds the handler once per slot, as Lambda runs one invocation per
 * execution environment at a time (a handler's module state, like a Powertools BatchProcessor, is never shared by
 * two invocations in flight).
 * For the queue path's tests, bench and demo; SAM deploys the real one.
 */
import { DeleteMessageBatchCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs'
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda'

export interface EventSourceOptions {
  readonly sqs: SQSClient
  readonly queueUrl: string
  /** Builds one container's handler. */
  readonly container: () => (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | void>
  /** A fresh Lambda context per invocation. */
  readonly context: () => Context
  readonly batchSize?: number
  readonly maximumConcurrency?: number
}

export interface EventSourceStats { invocations: number; receives: number; deletes: number; handlerErrors: number }

export class EventSourceMapping {
  readonly stats: EventSourceStats = { invocations: 0, receives: 0, deletes: 0, handlerErrors: 0 }
  readonly #o: EventSourceOptions
  #running = false
  #loops: Promise<void>[] = []

  constructor(options: EventSourceOptions) {
    this.#o = options
  }

  start(): void {
    this.#running = true
    const slots = this.#o.maximumConcurrency ?? 2
    for (let i = 0; i < slots; i++) this.#loops.push(this.#loop())
  }

  async stop(): Promise<void> {
    this.#running = false
    await Promise.all(this.#loops)
    this.#loops = []
  }

  async #loop(): Promise<void> {
    const { sqs, queueUrl } = this.#o
    const handler = this.#o.container()
    while (this.#running) {
      this.stats.receives++
      const out = await sqs.send(new ReceiveMessageCommand({
        QueueUrl: queueUrl, MaxNumberOfMessages: this.#o.batchSize ?? 10, WaitTimeSeconds: 1,
        MessageSystemAttributeNames: ['All'], MessageAttributeNames: ['All'],
      })).catch(() => ({ Messages: [] as Message[] }))
      const messages = out.Messages ?? []
      if (messages.length === 0) continue
      this.stats.invocations++
      let failed: Set<string>
      try {
        const response = await handler({ Records: messages.map((m) => recordOf(m, queueUrl)) }, this.#o.context())
        failed = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier))
      } catch {
        this.stats.handlerErrors++
        continue
      }
      const done = messages.filter((m) => !failed.has(m.MessageId ?? ''))
      if (done.length === 0) continue
      this.stats.deletes++
      await sqs.send(new DeleteMessageBatchCommand({
        QueueUrl: queueUrl, Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
      }))
    }
  }
}

function recordOf(m: Message, queueUrl: string): SQSRecord {
  const a = m.Attributes ?? {}
  return {
    messageId: m.MessageId ?? '', receiptHandle: m.ReceiptHandle ?? '', body: m.Body ?? '',
    attributes: {
      ApproximateReceiveCount: a.ApproximateReceiveCount ?? '1', SentTimestamp: a.SentTimestamp ?? '0',
      SenderId: a.SenderId ?? 'local', ApproximateFirstReceiveTimestamp: a.ApproximateFirstReceiveTimestamp ?? '0',
    },
    messageAttributes: Object.fromEntries(Object.entries(m.MessageAttributes ?? {}).map(([k, v]) => [k, {
      stringValue: v.StringValue, dataType: v.DataType ?? 'String', stringListValues: [], binaryListValues: [],
    }])),
    md5OfBody: m.MD5OfBody ?? '', eventSource: 'aws:sqs', eventSourceARN: `arn:aws:sqs:us-east-1:000000000000:${queueUrl.split('/').pop()}`,
    awsRegion: 'us-east-1',
  }
}
