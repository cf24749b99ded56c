import { describe, expect, it } from '@jest/globals'
import { InputError } from '../src/core/errors.js'
import { isLoopbackHost, LOCAL_HOST, MAINNET_HOST, MAINNET_ROOT_KEY_HEX, resolveNetwork } from '../src/core/network.js'

const OTHER_KEY = `308182301d060d2b0601040182dc7c0503010201060c2b0601040182dc7c05030201036100${'ab'.repeat(96)}`

describe('resolveNetwork', () => {
  it('pins the built-in mainnet key for ic and never fetches', () => {
    for (const key of ['', 'mainnet', MAINNET_ROOT_KEY_HEX]) {
      const net = resolveNetwork('ic', key)
      expect(net.host).toBe(MAINNET_HOST)
      expect(net.rootKey).toEqual({ kind: 'pinned', key: Uint8Array.from(Buffer.from(MAINNET_ROOT_KEY_HEX, 'hex')), mainnet: true })
    }
    expect(resolveNetwork('', '').host).toBe(MAINNET_HOST)
  })

  it.each([['fetch'], [OTHER_KEY]])('refuses root-key %s with network ic', (key) => {
    expect(() => resolveNetwork('ic', key)).toThrow(InputError)
    expect(() => resolveNetwork('ic', key)).toThrow(/Input 'root-key'/)
  })

  it('fetches the key for local and for loopback URLs by default', () => {
    expect(resolveNetwork('local', '')).toEqual({ name: 'local', host: LOCAL_HOST, rootKey: { kind: 'fetch' } })
    for (const url of ['http://127.0.0.1:8080', 'http://localhost:4943', 'http://[::1]:4943', 'http://127.1.2.3']) {
      expect(resolveNetwork(url, '').rootKey).toEqual({ kind: 'fetch' })
    }
  })

  it('pins a hex key on any network', () => {
    const net = resolveNetwork('http://127.0.0.1:9000/', OTHER_KEY.toUpperCase())
    expect(net.host).toBe('http://127.0.0.1:9000')
    expect(net.rootKey).toEqual({ kind: 'pinned', key: Uint8Array.from(Buffer.from(OTHER_KEY, 'hex')), mainnet: false })
  })

  it('requires an explicit root key for a non-loopback URL', () => {
    expect(() => resolveNetwork('https://boundary.example.org', '')).toThrow(/Input 'root-key' must be set for the non-loopback network https:\/\/boundary.example.org/)
    expect(() => resolveNetwork('http://10.0.0.5:4943', '')).toThrow(InputError)
    expect(resolveNetwork('https://boundary.example.org', 'mainnet').rootKey).toMatchObject({ kind: 'pinned', mainnet: true })
    expect(resolveNetwork('http://10.0.0.5:4943', 'fetch').rootKey).toEqual({ kind: 'fetch' })
  })

  it.each([
    ['network', 'mainnet', ''],
    ['network', 'ftp://127.0.0.1', ''],
    ['network', 'http://user:pw@127.0.0.1:4943', ''],
    ['network', 'not a url', ''],
    ['root-key', 'local', 'abcd'],
    ['root-key', 'local', 'zz'.repeat(133)],
    ['root-key', 'local', `3081${'00'.repeat(131)}`]
  ])('names input %s for network %s / root-key %s', (input, network, key) => {
    expect(() => resolveNetwork(network, key)).toThrow(new RegExp(`^Input '${input}' must be`))
  })

  it('recognises loopback hosts only', () => {
    expect(['127.0.0.1', 'localhost', '::1', '[::1]', '127.0.0.53'].every(isLoopbackHost)).toBe(true)
    expect(['10.0.0.1', '128.0.0.1', 'localhost.example.org', '0.0.0.0', 'icp-api.io'].some(isLoopbackHost)).toBe(false)
  })
})
