/**
 * The request queue as the front and the worker use it: put an accepted request on it, make a record visible again
 * when its targets can next serve (or requeue a fresh copy due then), or move it to the dead-letter queue with its
 * reason. Only ids and reasons go into message attributes; the request itself stays in the body.
 */
import {
  ChangeMessageVisibilityCommand, SendMessageCommand, SQSClient, type SendMessageCommandInput, type SQSClientConfig,
} from '@aws-sdk/client-sqs'
import { methods, object, parseOptions, required, string } from '../../core/config/index.js'
import { writeEnvelope, type QueuedRequest } from '../../core/queue/envelope.js'

const SOURCE = 'breakwater/request-queue'

export interface RequestQueueOptions {
  /** The queue accepted requests go to (the worker's event source). */
  readonly queueUrl: string
  /** Where the worker sends a record that can never be served. Required by the worker, not by the front. */
  readonly deadLetterQueueUrl?: string
  /** A client of your own. Default: one with 3 attempts and 1 s timeouts (an accept must not hang the request). */
  readonly sqs?: SQSClient
}

const URL = string({ pattern: /^https?:\/\/\S+$/, must: 'must be a queue URL (https://sqs.<region>.amazonaws.com/<account>/<name>)' })

const OPTIONS = object({
  queueUrl: required(URL, 'is required: the URL of the request queue'),
  deadLetterQueueUrl: URL,
  sqs: methods(['send'], { must: 'must be an SQSClient (an object with send())' }),
}, { label: 'a request queue', source: SOURCE })

const DEFAULT_CLIENT: SQSClientConfig = {
  maxAttempts: 3,
  requestHandler: { requestTimeout: 1_000, connectionTimeout: 1_000, throwOnRequestTimeout: true },
}

export class RequestQueue {
  readonly queueUrl: string
  readonly #dlq: string | undefined
  readonly #sqs: SQSClient

  constructor(options: RequestQueueOptions) {
    const o = parseOptions(OPTIONS, options ?? {}, SOURCE)
    this.queueUrl = o.queueUrl
    this.#dlq = o.deadLetterQueueUrl
    this.#sqs = options.sqs ?? new SQSClient(DEFAULT_CLIENT)
  }

  /** Resolves once SQS has stored the message: only then is the request accepted. */
  async send(request: QueuedRequest): Promise<void> {
    await this.#put(request, 0)
  }

  /**
   * Puts a fresh copy of a record on the queue, due in `delaySeconds` (at most 900, SQS's limit); the caller then lets
   * the original be deleted. The copy's receive count starts at 0 and its `acceptedAt` is the request's own.
   */
  async requeue(request: QueuedRequest, delaySeconds: number): Promise<void> {
    await this.#put(request, delaySeconds)
  }

  async #put(request: QueuedRequest, delaySeconds: number): Promise<void> {
    const input: SendMessageCommandInput = {
      QueueUrl: this.queueUrl,
      MessageBody: writeEnvelope(request),
      MessageAttributes: { requestId: { DataType: 'String', StringValue: request.id } },
    }
    if (delaySeconds > 0) input.DelaySeconds = delaySeconds
    await this.#sqs.send(new SendMessageCommand(input))
  }

  /** The record comes back after `seconds` (it stays in flight until then: report it as a batch item failure). */
  async redeliverIn(receiptHandle: string, seconds: number): Promise<void> {
    await this.#sqs.send(new ChangeMessageVisibilityCommand({
      QueueUrl: this.queueUrl, ReceiptHandle: receiptHandle, VisibilityTimeout: seconds,
    }))
  }

  /** Moves a record to the dead-letter queue with `reason`; the caller then lets the original be deleted. */
  async deadLetter(body: string, requestId: string | undefined, reason: string): Promise<void> {
    if (this.#dlq === undefined) throw new RangeError('RequestQueue: deadLetterQueueUrl is not set')
    const attributes: Record<string, { DataType: string; StringValue: string }> = { reason: { DataType: 'String', StringValue: reason } }
    if (requestId !== undefined) attributes.requestId = { DataType: 'String', StringValue: requestId }
    await this.#sqs.send(new SendMessageCommand({ QueueUrl: this.#dlq, MessageBody: body, MessageAttributes: attributes }))
  }
}
