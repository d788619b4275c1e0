/**
 * Who is asking: the user tier and the blue/green split key, read from the Lambda event the way API Gateway
 * authorizers and common clients put them. Event shapes are read structurally; nothing here trusts them.
 */

type Bag = Record<string, unknown>
const bag = (v: unknown): Bag | undefined => (typeof v === 'object' && v !== null ? (v as Bag) : undefined)
const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined)

/** A request header, case-insensitively (API Gateway v1 keeps the client's case, v2 and ALB lower-case it). */
export function header(event: unknown, name: string): string | undefined {
  const headers = bag(bag(event)?.headers)
  if (!headers) return undefined
  const wanted = name.toLowerCase()
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === wanted) return text(value)
  return undefined
}

/** The authorizer's claims: REST API + Cognito (`authorizer.claims`) or HTTP API JWT (`authorizer.jwt.claims`). */
function claims(event: unknown): Bag | undefined {
  const authorizer = bag(bag(bag(event)?.requestContext)?.authorizer)
  return bag(authorizer?.claims) ?? bag(bag(authorizer?.jwt)?.claims)
}

const lambdaAuthorizer = (event: unknown): Bag | undefined => {
  const authorizer = bag(bag(bag(event)?.requestContext)?.authorizer)
  // HTTP API Lambda authorizers nest their context under `lambda`; REST API ones put it on the authorizer itself.
  return bag(authorizer?.lambda) ?? authorizer
}

/**
 * The default user tier: the `custom:tier` claim (Cognito / JWT authorizer), else `tier` from a Lambda authorizer's
 * context, else the `x-user-tier` header. Only trust the header behind an authorizer or a proxy that sets it.
 */
export function defaultTier(event: unknown): string | undefined {
  return text(claims(event)?.['custom:tier']) ?? text(lambdaAuthorizer(event)?.tier) ?? header(event, 'x-user-tier')
}

/** The default `'user'` split key: the `sub` claim, else a Lambda authorizer's `sub`/`principalId`, else `x-user-id`. */
export function defaultUserKey(event: unknown): string | undefined {
  const authorizer = lambdaAuthorizer(event)
  return text(claims(event)?.sub) ?? text(authorizer?.sub) ?? text(authorizer?.principalId) ?? header(event, 'x-user-id')
}

/** The `'session'` split key: the `x-session-id` header. */
export function sessionKey(event: unknown): string | undefined {
  return header(event, 'x-session-id')
}
