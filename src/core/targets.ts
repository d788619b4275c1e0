/**
 * Targets: where a call can go. A target is a model (a model id or a cross-region inference profile id) in a
 * region, plus optional limits that make a cascade step cheaper (fewer max tokens, a shorter history) and the
 * service tier and latency mode it asks Bedrock for.
 */
import { convert, literal, number, object, oneOf, parseValue, required, string, type Refine } from './config/index.js'
import type { Target, TargetQuota, TargetSpec } from './target.js'

export type { LatencyMode, ServiceTier, Target, TargetQuota, TargetSpec } from './target.js'

const GEO_PREFIXES = ['us', 'us-gov', 'eu', 'apac', 'jp', 'au', 'ca', 'global'] as const
const REGION = /^[a-z]{2}(-gov)?-[a-z]+-\d$/

/** Keys of the targets seen, so the hot path hashes one interned string per target rather than a new one per call. */
const KEYS = new WeakMap<Target, string>()

/**
 * The stable key a target's breaker state and health are kept under: `model@region`, then `/priority` (`/flex`,
 * `/reserved`) and `/optimized` when the target asks for them. Each tier and latency mode is capacity of its own (a
 * throttled priority tier says nothing of the default one); the default tier and standard latency are what a target
 * without them gets, so they add nothing and the keys of such targets stay as they were.
 */
export const targetKey = (t: Target): string => {
  let key = KEYS.get(t)
  if (key === undefined) {
    key = modelRegionKey(t)
    if (t.serviceTier !== undefined && t.serviceTier !== 'default') key += `/${t.serviceTier}`
    if (t.latency === 'optimized') key += '/optimized'
    KEYS.set(t, key)
  }
  return key
}

/**
 * `model@region`: what a model and region share whatever tier or latency a call asks for — Bedrock's quota (a
 * declared `quota` is kept under it) and its prompt cache.
 */
export const modelRegionKey = (t: Pick<Target, 'model' | 'region'>): string => `${t.model}@${t.region}`

/** A geographic inference profile is only accepted in one of its source regions. */
const profileServedHere: Refine<Target> = (t) => {
  const geo = inferenceProfileGeo(t.model)
  if (geo === undefined || profileServedFrom(geo, t.region)) return undefined
  const fits = regionGeographies(t.region)
  const served = fits.length > 0 ? `${fits.map((g) => `"${g}."`).join(', ')} and "global."` : 'only "global."'
  return {
    at: 'region',
    problem: `cannot serve the "${geo}." inference profile ${t.model}: ${t.region} is a source region of ${served} profiles`,
  }
}

const positiveInteger = number({ integer: true, min: 1, must: 'must be a positive integer' })

/** A quota that limits nothing is a typo, not a choice. */
const limitsSomething: Refine<TargetQuota> = (q) => (q.requestsPerMinute === undefined && q.tokensPerMinute === undefined
  ? { problem: 'must set requestsPerMinute, tokensPerMinute or both' }
  : undefined)

const QUOTA = object({
  requestsPerMinute: positiveInteger,
  tokensPerMinute: positiveInteger,
}, { label: 'a quota', must: 'must be { requestsPerMinute?, tokensPerMinute? }', refine: [limitsSomething] })

const TARGET_OBJECT = object({
  model: required(
    string({ minLength: 1, must: 'must be a non-empty model or inference profile id' }),
    'is required: a model or inference profile id',
  ),
  region: required(
    string({ pattern: REGION, must: 'must be an AWS region like "us-east-1"' }),
    'is required: an AWS region like "us-east-1"',
  ),
  maxTokens: positiveInteger,
  maxMessages: positiveInteger,
  contextWindow: number({
    integer: true, min: 1_000, max: 10_000_000, unit: 'tokens', why: 'a model\'s context window: input plus the output asked for',
  }),
  quota: QUOTA,
  serviceTier: literal('priority', 'default', 'flex', 'reserved'),
  latency: literal('standard', 'optimized'),
}, { label: 'a target', refine: [profileServedHere] })

/** `model@region`, split at the last `@` (a region has none). */
const fromShorthand = (spec: string): Target => {
  const at = spec.lastIndexOf('@')
  return { model: spec.slice(0, at), region: spec.slice(at + 1) }
}

/** One target: `{ model, region, maxTokens?, maxMessages?, contextWindow?, quota?, serviceTier?, latency? }` or `'model@region'`. */
export const TARGET = oneOf([
  convert(string({ pattern: /^.+@[^@]+$/, must: 'must be "model@region"' }), fromShorthand, TARGET_OBJECT),
  TARGET_OBJECT,
], { must: 'must be a target object or "model@region"' })

/** Parses and checks one target; `field` names it in the error. */
export function parseTarget(spec: TargetSpec, field: string, source: string): Target {
  return Object.freeze(parseValue(TARGET, spec, source, field) as Target)
}

/**
 * Which geographic inference profiles (`us.`, `eu.`, ...) a region can call: Bedrock only accepts a profile id in
 * one of its source regions. Checked by region prefix, so a region AWS opens later in a known area needs no update;
 * the `ap-` regions split further (Japan and Australia have their own profiles as well as `apac.`).
 * `global.` profiles are accepted everywhere (not listed here). Regions of other areas (`sa-`, `me-`, `af-`, `il-`,
 * `mx-`) have no geographic profile of their own here: only `global.` or plain model ids.
 */
const REGION_GEOGRAPHIES: readonly (readonly [RegExp, readonly string[]])[] = [
  [/^us-gov-/, ['us-gov']],
  [/^us-/, ['us']],
  [/^ca-/, ['ca']],
  [/^eu-/, ['eu']],
  [/^ap-northeast-[13]$/, ['apac', 'jp']],
  [/^ap-southeast-[24]$/, ['apac', 'au']],
  [/^ap-/, ['apac']],
]

/** The geographic inference profile prefixes `region` is a source region of (`global` excluded: it fits all). */
export function regionGeographies(region: string): readonly string[] {
  return REGION_GEOGRAPHIES.find(([pattern]) => pattern.test(region))?.[1] ?? []
}

/** Can a call in `region` use an inference profile of geography `geo` (`us`, `eu`, `global`, ...)? */
export function profileServedFrom(geo: string, region: string): boolean {
  return geo === 'global' || regionGeographies(region).includes(geo)
}

/** The geography prefix of a cross-region inference profile id (`us`, `eu`, ...), or undefined for a model id. */
export function inferenceProfileGeo(model: string): string | undefined {
  const first = model.split('.')[0] ?? ''
  return (GEO_PREFIXES as readonly string[]).includes(first) ? first : undefined
}

/**
 * The request-body family of a model: InvokeModel bodies are provider- and model-line specific
 * (`anthropic.claude`, `amazon.nova`, `amazon.titan`, `meta.llama3`, ...), so raw bodies may only fall back
 * between targets of one family.
 */
export function modelFamily(model: string): string {
  const parts = model.split('.')
  const rest = inferenceProfileGeo(model) ? parts.slice(1) : parts
  const provider = rest[0] ?? ''
  const line = (rest[1] ?? '').split(/[-:]/)[0] ?? ''
  return `${provider}.${line}`
}
