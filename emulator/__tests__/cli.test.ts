/**
 * `npm run emulator` as users run it: machine-readable URL=/ROOT_KEY= lines first, a working
 * network at that URL, the seed pinning the root key, and a clean exit on SIGTERM.
 */
import { describe, expect, it } from '@jest/globals'
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { Principal } from '@icp-sdk/core/principal'
import { decodeCbor } from '../src/crypto/cbor.js'
import { RootKey } from '../src/crypto/keys.js'
import { toHex } from '../src/crypto/hash.js'

const START_TIMEOUT_MS = 60_000

describe('npm run emulator', () => {
  it('prints URL= and ROOT_KEY=, serves the network there and exits cleanly on SIGTERM', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'emulator/src/cli.ts', '--port', '0', '--seed', 'cli-test'], { stdio: ['ignore', 'pipe', 'pipe'] })
    const killer = setTimeout(() => child.kill('SIGKILL'), START_TIMEOUT_MS)
    try {
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
      const lines: string[] = []
      for await (const line of createInterface({ input: child.stdout })) {
        lines.push(line)
        if (line.startsWith('Anyone may create canisters')) break
      }
      expect(lines[0]).toMatch(/^URL=http:\/\/127\.0\.0\.1:\d+$/)
      expect(lines[1]).toBe(`ROOT_KEY=${toHex(new RootKey('cli-test').der)}`)
      expect(lines.join('\n')).toContain(`root-key: ${toHex(new RootKey('cli-test').der)}`)
      // Delegation is on by default: the subnet has a key of its own, so its id is not the root key's.
      expect(lines.join('\n')).toMatch(/\(subnet [a-z0-9-]+\)/)
      expect(lines.join('\n')).not.toContain(`(subnet ${Principal.selfAuthenticating(new RootKey('cli-test').der).toText()})`)

      const url = (lines[0] as string).slice('URL='.length)
      const status = decodeCbor(new Uint8Array(await (await fetch(`${url}/api/v2/status`)).arrayBuffer())) as { root_key: Uint8Array }
      expect(toHex(status.root_key)).toBe((lines[1] as string).slice('ROOT_KEY='.length))

      child.kill('SIGTERM')
      expect(await exited).toBe(0)
    } finally {
      clearTimeout(killer)
      if (child.exitCode === null) child.kill('SIGKILL')
    }
  })

  it('--no-delegation signs with the root key: the subnet id is derived from it, as clients then derive it', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'emulator/src/cli.ts', '--port', '0', '--seed', 'cli-test', '--no-delegation'], {
      stdio: ['ignore', 'pipe', 'pipe']
    })
    const killer = setTimeout(() => child.kill('SIGKILL'), START_TIMEOUT_MS)
    try {
      const lines: string[] = []
      for await (const line of createInterface({ input: child.stdout })) {
        lines.push(line)
        if (line.startsWith('Anyone may create canisters')) break
      }
      expect(lines.join('\n')).toContain(`(subnet ${Principal.selfAuthenticating(new RootKey('cli-test').der).toText()})`)
    } finally {
      clearTimeout(killer)
      child.kill('SIGKILL')
    }
  })

  it.each([
    [['--port', 'abc'], "--port must be an integer from 0 to 65535, got 'abc'."],
    [['--profile', 'testnet'], "--profile must be one of mainnet, got 'testnet'."],
    [['--status-shape', 'old'], "--status-shape must be one of legacy, current, future, got 'old'."]
  ])('refuses a bad flag with a message naming it: %j', async (flag, message) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'emulator/src/cli.ts', ...flag], { stdio: ['ignore', 'pipe', 'pipe'] })
    const killer = setTimeout(() => child.kill('SIGKILL'), START_TIMEOUT_MS)
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)))
    clearTimeout(killer)
    expect(code).not.toBe(0)
    expect(stderr).toContain(message)
  })
})
