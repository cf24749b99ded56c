/**
 * Which host to talk to and which root key to trust, following `icp --network/--root-key`:
 * - `ic`: https://icp-api.io with the mainnet root key built into the agent; never fetched.
 * - `local`: http://127.0.0.1:4943 with the root key fetched from the local replica.
 * - a URL: loopback hosts default to fetching the key; any other host must say which key to trust,
 *   because a fetched key from a remote host proves nothing about who answers.
 */
import { IC_ROOT_KEY } from '@icp-sdk/core/agent'
import { InputError } from './errors.js'
import { Inputs } from '../constants.js'

export const MAINNET_HOST = 'https://icp-api.io'
export const LOCAL_HOST = 'http://127.0.0.1:4943'
export const MAINNET_ROOT_KEY_HEX: string = IC_ROOT_KEY

/** DER prefix of a BLS12-381 G2 public key as the IC encodes its root key (133 bytes in all). */
const BLS_DER_PREFIX = '308182301d060d2b0601040182dc7c0503010201060c2b0601040182dc7c05030201036100'
const ROOT_KEY_HEX_LENGTH = 266

export type RootKeyPolicy = { kind: 'pinned'; key: Uint8Array; mainnet: boolean } | { kind: 'fetch' }

export interface NetworkConfig {
  /** `ic`, `local` or the URL as given; shown in messages and commands. */
  name: string
  host: string
  rootKey: RootKeyPolicy
}

const NETWORK_ACCEPTED = "'ic', 'local', or an http(s) URL such as http://127.0.0.1:4943"
const ROOT_KEY_ACCEPTED = `'mainnet', 'fetch', or the network's root key as ${ROOT_KEY_HEX_LENGTH} hex characters`

export function resolveNetwork(network: string, rootKey: string): NetworkConfig {
  const net = network.trim() === '' ? 'ic' : network.trim()
  const key = rootKey.trim().toLowerCase()
  if (net === 'ic') {
    if (key !== '' && key !== 'mainnet' && key !== MAINNET_ROOT_KEY_HEX) {
      throw new InputError(Inputs.RootKey, "'mainnet' (or empty) with network 'ic'; the mainnet root key is built in and never fetched", rootKey)
    }
    return { name: 'ic', host: MAINNET_HOST, rootKey: pinnedMainnet() }
  }
  if (net === 'local') {
    return { name: 'local', host: LOCAL_HOST, rootKey: key === '' ? { kind: 'fetch' } : parseRootKey(key, rootKey) }
  }
  const url = parseUrl(net)
  const loopback = isLoopbackHost(url.hostname)
  if (key === '') {
    if (!loopback) {
      throw new InputError(
        'root-key',
        `set for the non-loopback network ${url.origin}: 'mainnet' for an IC boundary node, the network's key in hex, or 'fetch' to trust whatever key the host serves (test networks only)`
      )
    }
    return { name: net, host: url.origin, rootKey: { kind: 'fetch' } }
  }
  return { name: net, host: url.origin, rootKey: parseRootKey(key, rootKey) }
}

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase()
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host)
}

function parseUrl(text: string): URL {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new InputError(Inputs.Network, NETWORK_ACCEPTED, text)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InputError(Inputs.Network, NETWORK_ACCEPTED, text)
  if (url.username !== '' || url.password !== '') throw new InputError(Inputs.Network, `${NETWORK_ACCEPTED} without credentials in it`)
  return url
}

function parseRootKey(key: string, raw: string): RootKeyPolicy {
  if (key === 'mainnet') return pinnedMainnet()
  if (key === 'fetch') return { kind: 'fetch' }
  const hex = key.replace(/^0x/, '')
  if (hex.length !== ROOT_KEY_HEX_LENGTH || !/^[0-9a-f]+$/.test(hex) || !hex.startsWith(BLS_DER_PREFIX)) {
    throw new InputError(Inputs.RootKey, ROOT_KEY_ACCEPTED, raw)
  }
  return { kind: 'pinned', key: Uint8Array.from(Buffer.from(hex, 'hex')), mainnet: hex === MAINNET_ROOT_KEY_HEX }
}

function pinnedMainnet(): RootKeyPolicy {
  return { kind: 'pinned', key: Uint8Array.from(Buffer.from(MAINNET_ROOT_KEY_HEX, 'hex')), mainnet: true }
}

/** `ic (https://icp-api.io)`, or just the URL when the network was given as one. */
export function describeNetwork(network: NetworkConfig): string {
  return network.name === network.host || network.name.replace(/\/$/, '') === network.host ? network.host : `${network.name} (${network.host})`
}
