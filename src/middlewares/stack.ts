/**
 * How the middlewares of one stack find each other: the router puts the invocation (`context.bedrock`) under one
 * namespaced `request.internal` key, as Powertools does, and each policy middleware moves it one step along the
 * stack's compiled trie (src/core/engine/stack.ts). No per-request state is filled in: only a pointer moves.
 */
import type { Request } from '@middy/core'
import type { Context } from 'aws-lambda'
import type { BedrockInvoker } from '../aws/bedrock-api.js'
import { Invocation } from '../core/engine/invocation.js'
import { missingRouter, secondRouter, type PolicyRole, type RolePart, type StackNode } from '../core/engine/stack.js'

export const STATE_KEY = 'breakwater'

/** The Lambda context as the handler sees it behind router(). */
export type BreakwaterContext = Context & { bedrock: BedrockInvoker }

type Internal = Record<string, unknown>

/** The router's (or the preset's) `before`: opens the invocation at `node` and puts it on `context.bedrock`. */
export function openInvocation(request: Request, node: StackNode): void {
  const internal = request.internal as Internal
  const existing = internal[STATE_KEY] as Invocation | undefined
  if (existing !== undefined) throw secondRouter(existing.roles)
  const invocation = new Invocation(node, request.event, request.context)
  internal[STATE_KEY] = invocation
  ;(request.context as unknown as { bedrock: unknown }).bedrock = invocation
}

/** A policy middleware's `before`: its part joins the stack of the invocation the router opened. */
export function joinInvocation<R extends PolicyRole>(request: Request, role: R, part: RolePart[R]): void {
  const invocation = (request.internal as Internal)[STATE_KEY] as Invocation | undefined
  if (invocation === undefined) throw missingRouter(role)
  invocation.node = invocation.node.then(role, part)
}
