/** Reading the JSON value out of a model's reply: bare JSON, one fenced block, whitespace around; nothing else. */
import { describe, expect, it } from '@jest/globals'
import { parseJsonText } from '../../../src/core/output/json-text.js'

describe('parseJsonText', () => {
  it.each([
    ['bare object', '{"total": 3}', { total: 3 }],
    ['surrounding whitespace and newlines', '\n  {"total": 3}\n\n', { total: 3 }],
    ['a ```json fence', '```json\n{"total": 3}\n```', { total: 3 }],
    ['an upper-case ```JSON fence with whitespace around', '  ```JSON\n{"total": 3}\n```  \n', { total: 3 }],
    ['a bare ``` fence', '```\n[1, 2]\n```', [1, 2]],
    ['a one-line fence', '```json {"a": true} ```', { a: true }],
    ['a fence around a string holding backticks', '```json\n{"code": "```x```"}\n```', { code: '```x```' }],
    ['a scalar', ' 42 ', 42],
  ])('accepts %s', (_name, text, value) => {
    expect(parseJsonText(text)).toEqual({ ok: true, value })
  })

  it.each([
    ['prose before the JSON', 'Sure! {"total": 3}', 'the reply is not valid JSON (only a JSON value, no prose)'],
    ['prose around a fence', 'Here it is:\n```json\n{"total": 3}\n```', 'the reply is not valid JSON (only a JSON value, no prose)'],
    ['a fence of another language', '```javascript\n{"total": 3}\n```', 'the fenced block of the reply is not valid JSON'],
    ['broken JSON in a fence', '```json\n{"total": }\n```', 'the fenced block of the reply is not valid JSON'],
    ['an empty reply', '   ', 'the reply is empty, not JSON'],
  ])('rejects %s with a concise reason', (_name, text, reason) => {
    expect(parseJsonText(text)).toEqual({ ok: false, reason })
  })
})
