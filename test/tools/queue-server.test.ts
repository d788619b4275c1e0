/** The SQS emulator behaves as the queue path relies on: receive counts, sent timestamps, visibility changes. */
import {
  ChangeMessageVisibilityCommand, CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient,
} from '@aws-sdk/client-sqs'
import { startQueueServer, type QueueServer } from '../../tools/queue/fauxqs-server.js'

let server: QueueServer
let sqs: SQSClient
beforeAll(async () => {
  server = await startQueueServer()
  sqs = new SQSClient({ endpoint: server.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } })
})
afterAll(async () => {
  sqs.destroy()
  await server.stop()
})

it('counts receives and honours a visibility change', async () => {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'smoke', Attributes: { VisibilityTimeout: '30' } }))
  await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: '{"a":1}' }))
  const receive = new ReceiveMessageCommand({ QueueUrl, MessageSystemAttributeNames: ['All'], WaitTimeSeconds: 0 })
  const first = await sqs.send(receive)
  const m = first.Messages?.[0]
  expect(m?.Attributes?.ApproximateReceiveCount).toBe('1')
  expect(Number(m?.Attributes?.SentTimestamp)).toBeGreaterThan(Date.now() - 10_000)
  expect((await sqs.send(receive)).Messages ?? []).toHaveLength(0)
  await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl, ReceiptHandle: m?.ReceiptHandle, VisibilityTimeout: 1 }))
  await new Promise((r) => setTimeout(r, 1_100))
  const again = await sqs.send(receive)
  expect(again.Messages?.[0]?.Attributes?.ApproximateReceiveCount).toBe('2')
})
