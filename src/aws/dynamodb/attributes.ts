/** DynamoDB attribute values in and out, for every item this package writes (breaker, admission, quota, results). */
import type { AttributeValue } from '@aws-sdk/client-dynamodb'

export const num = (n: number): AttributeValue.NMember => ({ N: String(n) })
/** A number attribute, or 0 when absent or not a number (an item this code did not write). */
export const readNum = (v: AttributeValue | undefined): number => (v && 'N' in v && v.N !== undefined ? Number(v.N) : 0)
/** A string attribute, or '' when absent. */
export const readStr = (v: AttributeValue | undefined): string => (v && 'S' in v && v.S !== undefined ? v.S : '')
