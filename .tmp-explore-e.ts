import { execFileSync } from 'node:child_process'
import { mkdtempSync, writeFileSync, readFileSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Actor, HttpAgent } from '@icp-sdk/core/agent'
import { startTestNetwork } from '/work/main/__tests__/helpers/emulator.js'
import { ballastIdl, loadCanisterModule, type BallastService } from '/work/main/emulator/canisters/index.js'

const t = await startTestNetwork()
const home = mkdtempSync(join(tmpdir(), 'icp-home-'))
const env = { ...process.env, ICP_HOME: home, DO_NOT_TRACK: '1', RUST_BACKTRACE: '0', NO_COLOR: '1' }
const ICP = '/work/main/node_modules/@icp-sdk/icp-cli-linux-x64/bin/icp'
writeFileSync(join(home, 'k.pem'), t.pem)
execFileSync(ICP, ['identity', 'import', '--storage', 'plaintext', '--from-pem', join(home, 'k.pem'), 'ci'], { env })
const ballast = await t.net.createCanister({ controllers: [t.identity.identity.getPrincipal()], wasmModule: await loadCanisterModule('ballast') })
const agent = await HttpAgent.create({ host: t.net.url, identity: t.identity.identity, rootKey: t.net.rootKey })
const actor = Actor.createActor<BallastService>(ballastIdl, { agent, canisterId: ballast })
console.log('grow', await actor.grow(1, 1))
const snap = await t.client.takeSnapshot({ canisterId: ballast })
const out = join(home, 'dl')
try { console.log(execFileSync(ICP, ['canister', 'snapshot', 'download', ballast.toText(), snap.id, '-o', out, '--identity', 'ci', '-n', t.net.url, '-k', t.net.rootKeyHex], { env }).toString()) } catch (e) { console.log("ERR", String((e as {stderr: Buffer}).stderr), String((e as {stdout: Buffer}).stdout), (e as {status: number}).status) }
console.log(readdirSync(out, { recursive: true }))
console.log(JSON.stringify(readFileSync(join(out, 'metadata.json'), 'utf8')))
await t.close()
