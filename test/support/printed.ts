/** Every line Powertools prints (Logger errors go to stderr, the rest and EMF to stdout), captured and parsed per test. */
import { afterEach, beforeEach, jest } from '@jest/globals'

/** Registers the hooks; the returned function gives this test's lines so far. */
export function capturePrinted(): () => Record<string, unknown>[] {
  let printed: Record<string, unknown>[] = []
  beforeEach(() => {
    printed = []
    const capture = (chunk: unknown): boolean => {
      for (const line of String(chunk).split('\n').filter(Boolean)) printed.push(JSON.parse(line) as Record<string, unknown>)
      return true
    }
    jest.spyOn(process.stdout, 'write').mockImplementation(capture)
    jest.spyOn(process.stderr, 'write').mockImplementation(capture)
  })
  afterEach(() => { jest.restoreAllMocks() })
  return () => printed
}
