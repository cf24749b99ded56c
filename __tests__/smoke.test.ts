import { describe, expect, it } from '@jest/globals'
import { Principal } from '@icp-sdk/core/principal'

describe('toolchain', () => {
  it('loads @icp-sdk/core as ESM', () => {
    expect(Principal.fromText('aaaaa-aa').toUint8Array().length).toBe(0)
  })
})
