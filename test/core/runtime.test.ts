import middy from '@middy/core'

describe('test runtime', () => {
  it('runs on Node 22 (Lambda nodejs22.x) with ESM-only @middy/core loadable', async () => {
    expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(22)
    const handler = middy(async () => 'ok')
    await expect(handler({}, {} as never)).resolves.toBe('ok')
  })
})
