/**
 * A probe change (core/breaker/probe-change.ts) as one UpdateItem on the state item. Its condition is what
 * `applyProbeChange` checks, spelled for DynamoDB: the same half-open episode (`changedAt`, `opens`) and stage,
 * and for a take a free slot (`slotsTaken` below the stage's size: DynamoDB conditions cannot add permits and
 * successes, so every write keeps their sum) and a permit id not yet present; for a pass, the permit still held
 * and a success that does not complete the stage. Not the version: two containers taking different permits of
 * one stage both land. Each change bumps the version, so a compare-and-set decided before it loses to it.
 *
 * An item that lacks `slotsTaken` (written by an earlier build, with its permits as a list) fails the condition;
 * the store then writes the change by compare-and-set instead.
 */
import type { UpdateItemCommandInput } from '@aws-sdk/client-dynamodb'
import type { ProbeChange } from '../../core/breaker/types.js'
import { stateKey } from './items.js'
import { num } from './attributes.js'


export function probeUpdate(table: string, key: string, change: ProbeChange): UpdateItemCommandInput {
  const episode = '#state = :halfOpen AND #changedAt = :changedAt AND #opens = :opens AND #stage = :stage'
  const names = {
    '#state': 'state', '#changedAt': 'changedAt', '#opens': 'opens', '#stage': 'stage', '#version': 'version',
    '#permits': 'permits', '#id': change.kind === 'take' ? change.permit.id : change.permitId,
  }
  const values = {
    ':halfOpen': { S: 'half-open' }, ':changedAt': num(change.changedAt), ':opens': num(change.opens),
    ':stage': num(change.stage), ':one': num(1),
  }
  const common = {
    TableName: table,
    Key: stateKey(key),
    ReturnValues: 'ALL_NEW',
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  } as const
  if (change.kind === 'take') {
    return {
      ...common,
      UpdateExpression: 'SET #permits.#id = :expiresAt, #version = #version + :one ADD #slots :one',
      ConditionExpression: `${episode} AND #slots < :size AND attribute_not_exists(#permits.#id)`,
      ExpressionAttributeNames: { ...names, '#slots': 'slotsTaken' },
      ExpressionAttributeValues: { ...values, ':expiresAt': num(change.permit.expiresAt), ':size': num(change.stageSize) },
    }
  }
  // The permit becomes a success of its stage: slotsTaken stays as it is.
  return {
    ...common,
    UpdateExpression: 'REMOVE #permits.#id SET #version = #version + :one ADD #successes :one',
    ConditionExpression: `${episode} AND attribute_exists(#permits.#id) AND #successes < :lastPass`,
    ExpressionAttributeNames: { ...names, '#successes': 'stageSuccesses' },
    ExpressionAttributeValues: { ...values, ':lastPass': num(change.stageSize - 1) },
  }
}
