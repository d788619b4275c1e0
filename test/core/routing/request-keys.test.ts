import { describe, expect, it } from '@jest/globals'
import { defaultTier, defaultUserKey, header, sessionKey } from '../../../src/core/routing/request-keys.js'

describe('request keys', () => {
  it('reads the tier from a Cognito/REST claim, an HTTP API JWT claim, a Lambda authorizer, then the header', () => {
    expect(defaultTier({ requestContext: { authorizer: { claims: { 'custom:tier': 'gold' } } } })).toBe('gold')
    expect(defaultTier({ requestContext: { authorizer: { jwt: { claims: { 'custom:tier': 'pro' }, scopes: [] } } } })).toBe('pro')
    expect(defaultTier({ requestContext: { authorizer: { lambda: { tier: 'team' } } } })).toBe('team')
    expect(defaultTier({ requestContext: { authorizer: { tier: 'rest-lambda' } } })).toBe('rest-lambda')
    expect(defaultTier({ headers: { 'X-User-Tier': 'free' } })).toBe('free')
    const claimAndHeader = { requestContext: { authorizer: { claims: { 'custom:tier': 'gold' } } }, headers: { 'x-user-tier': 'free' } }
    expect(defaultTier(claimAndHeader)).toBe('gold')
    expect(defaultTier({})).toBeUndefined()
    expect(defaultTier(undefined)).toBeUndefined()
    expect(defaultTier('not an event')).toBeUndefined()
  })

  it('reads the user key from the sub claim, a Lambda authorizer, then x-user-id; the session from x-session-id', () => {
    expect(defaultUserKey({ requestContext: { authorizer: { claims: { sub: 'u-1' } } } })).toBe('u-1')
    expect(defaultUserKey({ requestContext: { authorizer: { jwt: { claims: { sub: 'u-2' } } } } })).toBe('u-2')
    expect(defaultUserKey({ requestContext: { authorizer: { principalId: 'u-3' } } })).toBe('u-3')
    expect(defaultUserKey({ headers: { 'x-user-id': 'u-4' } })).toBe('u-4')
    expect(defaultUserKey({ headers: {} })).toBeUndefined()
    expect(sessionKey({ headers: { 'X-Session-Id': 's-1' } })).toBe('s-1')
    expect(header({ headers: { a: 1 } }, 'A')).toBe('1')
  })
})
