/**
 * A value built on first use, once. A failed build is not kept: the next call tries again (a DynamoDB client that
 * failed to load at a cold start must not fail the container for its lifetime).
 */
export function lazily<T>(load: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined
  return () => (value ??= load().catch((error: unknown) => {
    value = undefined
    throw error
  }))
}
