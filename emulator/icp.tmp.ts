import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { generateKeyPairSync } from 'node:crypto'
import { mkdtemp, writeFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Principal } from '@icp-sdk/core/principal'
import { Emulator } from './src/index.js'
import { loadCanisterModule } from './canisters/index.js'
const run = promisify(execFile)
const ICP = 'node_modules/@icp-sdk/icp-cli-linux-x64/bin/icp'
const home = await mkdtemp(join(tmpdir(), 'icp-'))
const env = { ...process.env, ICP_HOME: home, DO_NOT_TRACK: '1', RUST_BACKTRACE: '0' }
const icp = async (...args: string[]) => { try { const r = await run(ICP, args, { env, timeout: 60000 }); return { ok: true, out: r.stdout, err: r.stderr } } catch (e: any) { return { ok: false, out: e.stdout, err: e.stderr, code: e.code } } }
const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'secp256k1' })
await writeFile(join(home, 'k.pem'), privateKey.export({ format: 'pem', type: 'sec1' }) as string, { mode: 0o600 })
console.log(await icp('identity', 'import', '--storage', 'plaintext', '--from-pem', join(home, 'k.pem'), 'ci'))
const p = await icp('identity', 'principal', '--identity', 'ci'); console.log(p)
const me = Principal.fromText(p.out.trim())
const net = await Emulator.start({ seed: 'icp' })
const cid = await net.createCanister({ controllers: [me], wasmModule: await loadCanisterModule('counter_v1') })
const N = ['--network', net.url, '--root-key', net.rootKeyHex, '--identity', 'ci']
const t = Date.now()
console.log(await icp('canister', 'status', cid.toText(), ...N), Date.now() - t)
console.log(await icp('canister', 'stop', cid.toText(), ...N))
console.log(await icp('canister', 'snapshot', 'create', cid.toText(), ...N))
console.log(await icp('canister', 'snapshot', 'list', cid.toText(), '--json', ...N))
console.log(await icp('canister', 'status', cid.toText(), '--network', net.url, '--root-key', net.rootKeyHex))
console.log(await icp('canister', 'status', 'ryjl3-tyaaa-aaaaa-aaaba-cai', ...N))
await net.close(); await rm(home, { recursive: true })
