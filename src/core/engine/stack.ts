/**
 * A hand-composed stack, compiled once. Each policy middleware's `before` moves the invocation one step along a
 * trie of stack prefixes (router → router+circuitBreaker → ...), keyed by the identity of the policy it contributes.
 * The order is checked when an edge is first made, and the engine of a full stack is compiled on first use and kept
 * on its node: after the first invocation, a `before` costs one identity compare.
 */
import { checkLeaseCoversAttempt } from '../breaker/policy.js'
import { CompositionError } from '../errors.js'
import { Engine, type BackoffPart, type BreakerPart, type FallbackPart, type RouterPart } from './engine.js'

/** The order the policy middlewares must be `.use()`d in. gracefulDegradation (onError only) goes last. */
export const ROLE_ORDER = ['router', 'circuitBreaker', 'backoff', 'fallback'] as const
export type Role = (typeof ROLE_ORDER)[number]

/** What each role contributes. */
export interface RolePart { readonly circuitBreaker: BreakerPart; readonly backoff: BackoffPart; readonly fallback: FallbackPart }
export type PolicyRole = keyof RolePart

const callName = (role: Role): string => `${role}()`
/** The `source` of errors raised for a role, matching the middlewares' own (`breakwater/circuit-breaker`). */
export const sourceOf = (role: Role): string => `breakwater/${role.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`
const ORDER = `Order: ${ROLE_ORDER.map(callName).join(' → ')} → gracefulDegradation()`

export class StackNode {
  /** The roles of this prefix, in order. */
  readonly roles: readonly Role[]
  #engine: Engine | undefined
  /** The last edge taken: nearly every handler has one stack, so the Map below is rarely read. */
  #lastPart: unknown
  #lastNode: StackNode | undefined
  readonly #children = new Map<unknown, StackNode>()

  private constructor(
    readonly router: RouterPart,
    readonly parts: { readonly breaker?: BreakerPart; readonly backoff?: BackoffPart; readonly fallback?: FallbackPart },
    roles: readonly Role[],
  ) {
    this.roles = roles
  }

  /** The root of a router's stacks: the router alone. */
  static root(router: RouterPart): StackNode {
    return new StackNode(router, {}, ['router'])
  }

  /** The prefix with `role` added; throws a CompositionError when `role` cannot come here. */
  then<R extends PolicyRole>(role: R, part: RolePart[R]): StackNode {
    if (this.#lastPart === part) return this.#lastNode as StackNode
    let node = this.#children.get(part)
    if (node === undefined) {
      this.#check(role)
      // A probe's permit must outlive its attempt: the two policies meet only here, once per stack.
      if (role === 'backoff' && this.parts.breaker !== undefined) {
        const attemptTimeoutMs = (part as BackoffPart).policy.attemptTimeoutMs
        checkLeaseCoversAttempt(this.parts.breaker.breaker.policy.permitLeaseMs, attemptTimeoutMs, sourceOf(role))
      }
      const key = role === 'circuitBreaker' ? 'breaker' : role
      node = new StackNode(this.router, { ...this.parts, [key]: part }, [...this.roles, role])
      this.#children.set(part, node)
    }
    this.#lastPart = part
    this.#lastNode = node
    return node
  }

  /** The engine of this stack, compiled on first use. */
  engine(): Engine {
    return (this.#engine ??= new Engine(this.router, this.parts))
  }

  #check(role: PolicyRole): void {
    const source = sourceOf(role)
    if (this.roles.includes(role)) throw new CompositionError(source, `${callName(role)} is used twice`)
    const last = this.roles[this.roles.length - 1] as Role
    if (ROLE_ORDER.indexOf(last) > ROLE_ORDER.indexOf(role)) {
      throw new CompositionError(source, `${callName(role)} must come before ${callName(last)} in .use(). ${ORDER}`)
    }
  }
}

/** A policy middleware ran with no router before it. */
export function missingRouter(role: PolicyRole): CompositionError {
  return new CompositionError(
    sourceOf(role),
    `${callName(role)} needs router() before it in .use(): the router chooses the targets it protects. ${ORDER}`,
  )
}

/** A router ran after another router (or the preset) had opened the request. */
export function secondRouter(roles: readonly Role[]): CompositionError {
  return new CompositionError(
    'breakwater/router',
    `router() must be the first Breakwater middleware and used once; it ran after ${roles.map(callName).join(', ')}`,
  )
}
