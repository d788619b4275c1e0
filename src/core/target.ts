/** What a target is (a leaf module: the types attempts and errors need, without the parsing that raises errors). */
export interface Target {
  /** A model id (`anthropic.claude-3-5-haiku-20241022-v1:0`) or an inference profile id (`us.anthropic...`). */
  readonly model: string
  /** The AWS region the call is sent to, e.g. `us-east-1`. */
  readonly region: string
  /** Caps `inferenceConfig.maxTokens` when this target serves: a cheaper, faster step of the cascade. */
  readonly maxTokens?: number
  /** Keeps only the newest N messages of the history when this target serves. */
  readonly maxMessages?: number
}

/** A target written as an object, or as the shorthand `model@region`. */
export type TargetSpec = Target | string
