/**
 * Shared setup for the backup suites (download/upload): a ballast canister on the emulator, the
 * `icp` 1.5.0 binary with the test identity imported, and a management client wrapper that counts
 * calls so a test can prove that nothing reached the network.
 */
import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Actor, HttpAgent } from '@icp-sdk/core/agent'
import type { Principal } from '@icp-sdk/core/principal'
import { ballastIdl, loadCanisterModule, type BallastService } from '../../emulator/canisters/index.js'
import type { DownloadRequest } from '../../src/core/commands/download.js'
import type { CommandContext } from '../../src/core/commands/types.js'
import type { ManagementClient } from '../../src/core/ic/management.js'
import type { TestNetwork } from './emulator.js'
import { icpBinary } from './icp.js'

export const MIB = 1024 * 1024
/** Fast backoff for tests; the defaults suit a real network. */
export const TEST_RETRY = { attempts: 6, baseDelayMs: 5, maxDelayMs: 50 }
export const TOOL = { name: 'canister-snapshot-action', version: 'test' }

/** A download request as the inputs would produce it, with the test retry policy; `extra` overrides. */
export function downloadRequest(canister: Principal, path: string, extra: Partial<DownloadRequest> = {}): DownloadRequest {
  return {
    operation: 'download',
    canister,
    snapshot: { kind: 'latest' },
    path,
    archive: false,
    encryption: undefined,
    concurrency: 8,
    resume: false,
    stop: true,
    stopTimeoutSeconds: 30,
    network: 'local',
    tool: TOOL,
    retry: TEST_RETRY,
    ...extra
  }
}

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `${prefix}-`))
}

export async function createBallast(t: TestNetwork, heapMib: number, stableMib: number, subnet = 0): Promise<{ canisterId: Principal; checksum: bigint; actor: BallastService }> {
  const canisterId = await createEmptyBallast(t, subnet)
  const actor = await ballastActor(t, canisterId)
  const checksum = heapMib + stableMib > 0 ? await actor.grow(heapMib, stableMib) : await actor.checksum()
  return { canisterId, checksum, actor }
}

export async function createEmptyBallast(t: TestNetwork, subnet = 0): Promise<Principal> {
  return t.net.createCanister({ controllers: [t.identity.identity.getPrincipal()], wasmModule: await loadCanisterModule('ballast'), subnet })
}

export async function ballastActor(t: TestNetwork, canisterId: Principal): Promise<BallastService> {
  const agent = await HttpAgent.create({ host: t.net.url, identity: t.identity.identity, rootKey: t.net.rootKey })
  return Actor.createActor<BallastService>(ballastIdl, { agent, canisterId })
}

/** Shows `observe` every management call made through the context's client as it starts: its method, arguments and pending result. */
export function observingContext(ctx: CommandContext, observe: (method: string, args: unknown[], result: unknown) => void): CommandContext {
  const client = new Proxy(ctx.client, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver)
      if (typeof value !== 'function') return value
      return (...args: unknown[]) => {
        const result = (value as (...a: unknown[]) => unknown).apply(target, args)
        observe(String(prop), args, result)
        return result
      }
    }
  }) as ManagementClient
  return { ...ctx, client }
}

/** Counts every management call made through the context's client. */
export function countingContext(ctx: CommandContext): { ctx: CommandContext; calls: string[] } {
  const calls: string[] = []
  return { ctx: observingContext(ctx, (method) => calls.push(method)), calls }
}

export interface IcpCli {
  home: string
  run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }>
  /** Runs against the emulator with the imported identity; throws with icp's own words on failure. */
  ok(...args: string[]): Promise<{ stdout: string; stderr: string }>
  close(): Promise<void>
}

export async function icpCli(t: TestNetwork): Promise<IcpCli> {
  const icp = icpBinary()
  const home = await tempDir('icp-home')
  const env = { ...process.env, ICP_HOME: home, DO_NOT_TRACK: '1', RUST_BACKTRACE: '0', NO_COLOR: '1' }
  // Asynchronous on purpose: the emulator answers icp from this very process.
  const run = (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      execFile(icp, args, { env, timeout: 120_000, killSignal: 'SIGKILL', maxBuffer: 16 * MIB }, (error, stdout, stderr) => {
        resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr })
      })
    })
  const pemFile = join(home, 'ci.pem')
  await writeFile(pemFile, t.pem, { mode: 0o600 })
  const imported = await run('identity', 'import', '--storage', 'plaintext', '--from-pem', pemFile, 'ci')
  await rm(pemFile)
  if (imported.code !== 0) throw new Error(`icp identity import failed: ${imported.stderr}`)
  return {
    home,
    run,
    ok: async (...args) => {
      const r = await run(...args, '--identity', 'ci', '--network', t.net.url, '--root-key', t.net.rootKeyHex)
      if (r.code !== 0) throw new Error(`icp ${args.join(' ')} exited with ${r.code}:\n${r.stderr}${r.stdout}`)
      return r
    },
    close: () => rm(home, { recursive: true, force: true })
  }
}
