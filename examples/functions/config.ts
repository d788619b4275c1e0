/**
 * The example functions' configuration, read from the environment template.yaml sets. The routes are built from the
 * same parameters that scope the functions' Bedrock permissions, so a route can never name a model the role may not call.
 */
import type { BreakwaterOptions } from '../../src/index.js'

/** The variables every function behind the preset reads (template.yaml Globals; AWS_REGION comes from Lambda). */
export const EXAMPLE_ENV = ['PRIMARY_MODEL_ID', 'SECONDARY_REGION', 'FALLBACK_MODEL_ID', 'BREAKER_TABLE'] as const

/** The queue path's variables, each set only on the functions that read it (queue-request, queue-worker, queue-status). */
export const QUEUE_ENV = [
  'REQUEST_QUEUE_URL', 'REQUEST_DEAD_LETTER_QUEUE_URL', 'RESULTS_TABLE', 'RESULTS_BUCKET', 'IDEMPOTENCY_TABLE',
] as const

/**
 * How long an accepted request's outcome is kept, s: the results table's TTL. The results bucket's lifecycle rule
 * (template.yaml) keeps the large answers a day longer, so an item DynamoDB has not deleted yet never points at a
 * deleted object.
 */
export const RESULTS_TTL_SECONDS = 86_400

/**
 * The idempotency table's key and TTL attributes (Powertools' defaults, named so template.yaml's IdempotencyTable is
 * checked against them): one partition per record, no sort key.
 */
export const IDEMPOTENCY_TABLE_KEYS = { keyAttr: 'id', expiryAttr: 'expiration' } as const

type Env = Readonly<Record<string, string | undefined>>

/** The trimmed value of `name`; throws at init (so the function fails to start, visibly) when it is unset or blank. */
export function required(env: Env, name: string): string {
  const value = env[name]
  if (value === undefined || value.trim() === '') throw new Error(`breakwater example: the environment variable ${name} is not set`)
  return value.trim()
}

/**
 * One route, `default`: the primary model (a cross-region inference profile id by default) in this region, the same
 * in SECONDARY_REGION, then the smaller FALLBACK_MODEL_ID in this region with fewer output tokens.
 */
export function routesFromEnv(env: Env): BreakwaterOptions['routes'] {
  const region = required(env, 'AWS_REGION')
  const primary = required(env, 'PRIMARY_MODEL_ID')
  const secondary = required(env, 'SECONDARY_REGION')
  const fallback = required(env, 'FALLBACK_MODEL_ID')
  const regions = secondary === region ? [region] : [region, secondary]
  return {
    default: [
      ...regions.map((r) => `${primary}@${r}`),
      { model: fallback, region, maxTokens: 512 },
    ],
  }
}
