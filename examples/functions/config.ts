/**
 * The example functions' configuration, read from the environment template.yaml sets. The routes are built from the
 * same parameters that scope the functions' Bedrock permissions, so a route can never name a model the role may not call.
 */
import type { BreakwaterOptions } from '../../src/index.js'

/** The variables the examples read (template.yaml sets each; AWS_REGION comes from Lambda). */
export const EXAMPLE_ENV = ['PRIMARY_MODEL_ID', 'SECONDARY_REGION', 'FALLBACK_MODEL_ID', 'BREAKER_TABLE'] as const

type Env = Readonly<Record<string, string | undefined>>

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
