import { Actor, HttpAgent } from '@icp-sdk/core/agent'
import { generateKeyPairSync } from 'node:crypto'
import { Emulator } from './emulator/src/index.js'
import { ballastIdl, loadCanisterModule, type BallastService } from './emulator/canisters/index.js'
import { runDownload } from './src/core/commands/download.js'
import { Deadline } from './src/core/deadline.js'
import { parseIdentity } from './src/core/identity.js'
import { silentLogger } from './src/core/logger.js'
import { connect } from './src/core/session.js'
import { MemoryStateStore } from './src/core/state.js'
import { rmSync } from 'node:fs'
const pem = generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).privateKey.export({ format: 'pem', type: 'sec1' }).toString()
const identity = parseIdentity(pem)
const net = await Emulator.start({ seed: 'p', latencyMs: 300, maxInFlightUpdates: 16 })
const source = await net.createCanister({ controllers: [identity.identity.getPrincipal()], wasmModule: await loadCanisterModule('ballast') })
const agent = await HttpAgent.create({ host: net.url, identity: identity.identity, rootKey: net.rootKey })
await Actor.createActor<BallastService>(ballastIdl, { agent, canisterId: source }).grow(32, 32)
const client = await connect({ identity, network: { name: 'local', host: net.url, rootKey: { kind: 'pinned', key: net.rootKey, mainnet: false } } })
const snapshot = await client.takeSnapshot({ canisterId: source })
rmSync('/tmp/prof-dl', { recursive: true, force: true })
const t0 = performance.now()
const orig = client.readCanisterSnapshotData.bind(client)
let active = 0
;(client as any).readCanisterSnapshotData = async (p: any) => { const s = performance.now(); active++; const a = active; try { return await orig(p) } finally { active--; console.log('call', Math.round(s - t0), Math.round(performance.now() - s), 'active@start', a) } }
const r = await runDownload({ client, logger: silentLogger, state: new MemoryStateStore(), deadline: new Deadline(3600), concurrency: 1 }, { operation: 'download', canister: source, snapshot: { kind: 'id', id: snapshot.id }, path: '/tmp/prof-dl', archive: false, encryption: undefined, concurrency: 16, resume: false, stop: true, stopTimeoutSeconds: 60, network: 'local', tool: { name: 'x', version: 'y' } })
console.log('MB/s', r.stats.bytesTransferred / 1e6 / ((performance.now() - t0) / 1000))
await net.close()
