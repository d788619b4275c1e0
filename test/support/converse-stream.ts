/** Drives one ConverseStream call with the real SDK and writes down what its iterator yields and how it ends. */
import {
  ConverseStreamCommand, type BedrockRuntimeClient, type ConverseStreamCommandInput, type ConverseStreamOutput,
} from '@aws-sdk/client-bedrock-runtime'

export const STREAM_MODEL = 'anthropic.claude-3-5-haiku-20241022-v1:0'

export const askStream = (text: string, modelId = STREAM_MODEL): ConverseStreamCommandInput =>
  ({ modelId, messages: [{ role: 'user', content: [{ text }] }] })

export interface Drained {
  /** The union member of each event the iterator yielded, in order (`messageStart`, `contentBlockDelta`...). */
  readonly events: string[]
  /** The full events, for their payloads. */
  readonly raw: ConverseStreamOutput[]
  /** The delta texts joined. */
  readonly text: string
  /** What `send` or the iteration threw; undefined when the iterator simply ended. */
  readonly error: (Error & Record<string, unknown>) | undefined
  /** Whether `send` itself resolved (the SDK resolves it only once the first event has arrived). */
  readonly sent: boolean
}

const memberOf = (event: ConverseStreamOutput): string => Object.keys(event).find((k) => k !== '$unknown') ?? '$unknown'

/** Sends and iterates to the end; never throws, so a test can look at a failure field by field. */
export async function drain(client: BedrockRuntimeClient, input: ConverseStreamCommandInput, signal?: AbortSignal): Promise<Drained> {
  const raw: ConverseStreamOutput[] = []
  let sent = false
  let error: Drained['error']
  try {
    const out = await client.send(new ConverseStreamCommand(input), { abortSignal: signal })
    sent = true
    for await (const event of out.stream ?? []) raw.push(event)
  } catch (e) {
    error = e as Error & Record<string, unknown>
  }
  const text = raw.map((e) => e.contentBlockDelta?.delta?.text ?? '').join('')
  return { events: raw.map(memberOf), raw, text, error, sent }
}

/** The normal event sequence for a reply of `words` deltas. */
export const completeEvents = (words: number): string[] =>
  ['messageStart', ...Array<string>(words).fill('contentBlockDelta'), 'contentBlockStop', 'messageStop', 'metadata']
