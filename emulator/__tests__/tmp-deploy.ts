import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { generateKeyPairSync } from 'node:crypto'
import { mkdtemp, writeFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Principal } from '@icp-sdk/core/principal'
import { Emulator } from '../src/index.js'
const run = promisify(execFile)
const ICP = join(process.cwd(), 'node_modules/@icp-sdk/icp-cli-linux-x64/bin/icp')
const home = await mkdtemp(join(tmpdir(), 'icp-'))
const env = { ...process.env, ICP_HOME: home, DO_NOT_TRACK: '1', RUST_BACKTRACE: '0', NO_COLOR: '1' }
const icp = async (...args: string[]) => { try { const r = await run(ICP, args, { env, timeout: 60000, cwd: home }); return { ok: true, out: r.stdout, err: r.stderr } } catch (e: any) { return { ok: false, out: e.stdout, err: e.stderr, code: e.code } } }
const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'secp256k1' })
await writeFile(join(home, 'k.pem'), privateKey.export({ format: 'pem', type: 'sec1' }) as string, { mode: 0o600 })
await icp('identity', 'import', '--storage', 'plaintext', '--from-pem', join(home, 'k.pem'), 'ci')
const p = await icp('identity', 'principal', '--identity', 'ci')
const me = Principal.fromText(p.out.trim())
const net = await Emulator.start({ seed: 'icp' })
const N = ['--network', net.url, '--root-key', net.rootKeyHex, '--identity', 'ci']
console.log('create', await icp('canister', 'create', '--detached', ...N))
const cid = (await net.createCanister({ controllers: [me] })).toText()
const W = join(process.cwd(), 'emulator/canisters/build/counter_v1.wasm')
console.log('install', await icp('canister', 'install', cid, '--wasm', W, ...N))
console.log('call inc', await icp('canister', 'call', cid, 'inc', '()', ...N))
console.log('call set', await icp('canister', 'call', cid, 'set', '(41)', ...N))
console.log('call get', await icp('canister', 'call', cid, 'get', '()', '--query', ...N))
console.log('metadata', await icp('canister', 'metadata', cid, 'candid:service', ...N))
console.log('upgrade v2', await icp('canister', 'install', cid, '--mode', 'upgrade', '--yes', '--wasm', join(process.cwd(), 'emulator/canisters/build/counter_v2.wasm'), ...N))
console.log('call get', await icp('canister', 'call', cid, 'get', '()', '--query', ...N))
console.log('call nope', await icp('canister', 'call', cid, 'nope', '()', ...N))
await net.close(); await rm(home, { recursive: true })
