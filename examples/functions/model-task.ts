/**
 * The Step Functions example's task (template.yaml, condition WithStepFunctionsExample): one Converse call on the
 * model the state machine names, no Breakwater. Bedrock's errors leave the function as they are (errorType
 * `ThrottlingException`, `ServiceUnavailableException`, ...), so the state machine's Catch can route to its fallback
 * task. That is the pattern AWS teaches; compare it with ChatFunction, where the middlewares do the same inside one
 * invocation (and add backoff, a shared breaker and polite replies).
 */
import { BedrockRuntimeClient, ConverseCommand } from '@aws-sdk/client-bedrock-runtime'
import { SYSTEM_PROMPT } from '../chat/chat-handler.js'
import { parseChatRequest, toMessages } from '../chat/chat-request.js'

// SDK retries off, as in Breakwater: the state machine's Retry/Catch is the only retry layer.
const client = new BedrockRuntimeClient({ maxAttempts: 1 })

export interface ModelTaskInput {
  /** The model id or inference profile id to call (the state machine passes the primary or the fallback). */
  readonly modelId: string
  /** The chat request: `{ prompt, history? }`, as ChatFunction takes it. */
  readonly request: unknown
}

export interface ModelTaskOutput {
  readonly reply: string
  readonly model: string
}

export const handler = async (input: ModelTaskInput): Promise<ModelTaskOutput> => {
  const request = parseChatRequest(input.request)
  const out = await client.send(new ConverseCommand({
    modelId: input.modelId,
    system: [{ text: SYSTEM_PROMPT }],
    messages: toMessages(request),
    inferenceConfig: { maxTokens: 1024, temperature: 0.3 },
  }))
  const reply = (out.output?.message?.content ?? []).map((block) => block.text ?? '').join('')
  return { reply, model: input.modelId }
}
