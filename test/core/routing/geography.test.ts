import { describe, expect, it } from '@jest/globals'
import { BreakwaterConfigError } from '../../../src/core/errors.js'
import { parseTarget, profileServedFrom, regionGeographies } from '../../../src/core/targets.js'

const fieldOf = (spec: string): string | undefined => {
  try {
    parseTarget(spec, 'routes.x[0]', 'test')
    return undefined
  } catch (e) {
    if (e instanceof BreakwaterConfigError) return e.field
    throw e
  }
}

describe('inference profile geography', () => {
  it('rejects a profile whose geography the region cannot serve, naming the region field', () => {
    expect(fieldOf('eu.anthropic.claude-3-7-sonnet-20250219-v1:0@us-east-1')).toBe('routes.x[0].region')
    expect(fieldOf('us.anthropic.claude-3-5-haiku-20241022-v1:0@eu-west-1')).toBe('routes.x[0].region')
    expect(fieldOf('jp.anthropic.claude-sonnet-4-5-20250929-v1:0@ap-southeast-1')).toBe('routes.x[0].region')
    expect(fieldOf('au.anthropic.claude-sonnet-4-5-20250929-v1:0@ap-northeast-1')).toBe('routes.x[0].region')
    expect(fieldOf('us.amazon.nova-lite-v1:0@us-gov-west-1')).toBe('routes.x[0].region')
    expect(fieldOf('apac.amazon.nova-lite-v1:0@sa-east-1')).toBe('routes.x[0].region')
  })

  it('accepts matching geographies, global everywhere, and plain model ids anywhere', () => {
    for (const ok of [
      'us.anthropic.claude-3-5-haiku-20241022-v1:0@us-west-2', 'eu.anthropic.claude-3-7-sonnet-20250219-v1:0@eu-central-1',
      'apac.amazon.nova-lite-v1:0@ap-south-1', 'apac.amazon.nova-lite-v1:0@ap-northeast-1',
      'jp.anthropic.claude-sonnet-4-5-20250929-v1:0@ap-northeast-3',
      'au.anthropic.claude-sonnet-4-5-20250929-v1:0@ap-southeast-2', 'ca.amazon.nova-lite-v1:0@ca-central-1',
      'us-gov.anthropic.claude-3-5-sonnet-20240620-v1:0@us-gov-east-1', 'global.anthropic.claude-sonnet-4-20250514-v1:0@sa-east-1',
      'anthropic.claude-3-haiku-20240307-v1:0@me-central-1',
    ]) expect(fieldOf(ok)).toBeUndefined()
  })

  it('maps regions to the geographies they serve', () => {
    expect(regionGeographies('us-east-2')).toEqual(['us'])
    expect(regionGeographies('us-gov-west-1')).toEqual(['us-gov'])
    expect(regionGeographies('ap-northeast-1')).toEqual(['apac', 'jp'])
    expect(regionGeographies('af-south-1')).toEqual([])
    expect(profileServedFrom('global', 'af-south-1')).toBe(true)
  })
})
