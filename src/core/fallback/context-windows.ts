/**
 * Context windows of the common Bedrock model families, in tokens (input plus the output asked for), so the fallback
 * can shorten a history before sending a request that cannot fit instead of after Bedrock's 400. A target's own
 * `contextWindow` wins; a model not listed here has none (nothing is shortened before the call; a 400 still is).
 *
 * Matched on the model id with any inference-profile prefix (`us.`, `eu.`, `apac.`, `global.`, …) or ARN removed;
 * the first pattern that matches wins, so specific ids come before their family. Figures are the providers'
 * published windows as of 2026; override per target when yours differs (a provisioned or extended-context model).
 */
const WINDOWS: readonly (readonly [RegExp, number])[] = [
  [/^anthropic\.claude-(3|3-5|3-7|sonnet-4|opus-4|haiku-4)/, 200_000],
  [/^anthropic\.claude-(v2|instant)/, 100_000],
  [/^amazon\.nova-premier/, 1_000_000],
  [/^amazon\.nova-micro/, 128_000],
  [/^amazon\.nova-(lite|pro)/, 300_000],
  [/^amazon\.titan-text-premier/, 32_000],
  [/^amazon\.titan-text-(express|lite)/, 8_000],
  [/^meta\.llama3-(1|2|3)-/, 128_000],
  [/^meta\.llama4-/, 128_000],
  [/^meta\.llama3-/, 8_000],
  [/^mistral\.mistral-large-2407/, 128_000],
  [/^mistral\.(mistral-7b|mixtral-8x7b|mistral-large-2402|mistral-small)/, 32_000],
  [/^cohere\.command-r/, 128_000],
  [/^ai21\.jamba-1-5/, 256_000],
  [/^deepseek\.(r1|v3)/, 128_000],
]

/** `us.anthropic.claude-…`, `arn:aws:bedrock:…:inference-profile/eu.anthropic.claude-…` → `anthropic.claude-…`. */
function baseModelId(model: string): string {
  const id = model.slice(model.lastIndexOf('/') + 1)
  return id.replace(/^(us|eu|apac|us-gov|ca|jp|au|global)\./, '')
}

/** The built-in context window of `model`, in tokens; undefined when the family is not known. */
export function knownContextWindow(model: string): number | undefined {
  const id = baseModelId(model)
  return WINDOWS.find(([pattern]) => pattern.test(id))?.[1]
}
