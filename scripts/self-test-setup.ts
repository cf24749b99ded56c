/**
 * CI self-test fixture: against the emulator started by `npm run emulator` (127.0.0.1:4943), makes
 * a throwaway controller identity and a counter canister it controls, for `uses: ./` to act on.
 * The canister ID goes to `GITHUB_OUTPUT`; the test-only PEM is masked and goes to `GITHUB_ENV`
 * as SELF_TEST_IDENTITY (a real identity would come from an environment secret).
 */
import { appendFile } from 'node:fs/promises'
import { generateKeyPairSync, randomUUID } from 'node:crypto'
import { HttpAgent } from '@icp-sdk/core/agent'
import { IcManagementCanister } from '@icp-sdk/canisters/ic-management'
import type { Principal } from '@icp-sdk/core/principal'
import { loadCanisterModule } from '../emulator/canisters/index.js'
import { parseIdentity } from '../src/core/identity.js'
import { LOCAL_HOST } from '../src/core/network.js'

interface Management {
  provisionalCreateCanisterWithCycles(p: { amount: bigint; settings: { controllers: string[] } }): Promise<Principal>
  installCode(p: { mode: { install: null }; canisterId: Principal; wasmModule: Uint8Array; arg: Uint8Array }): Promise<void>
}

const pem = generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).privateKey.export({ format: 'pem', type: 'sec1' }).toString()
const identity = parseIdentity(pem)
const agent = await HttpAgent.create({ host: LOCAL_HOST, identity: identity.identity, shouldFetchRootKey: true })
const ic = IcManagementCanister.create({ agent }) as Management
const canisterId = await ic.provisionalCreateCanisterWithCycles({ amount: 100_000_000_000_000n, settings: { controllers: [identity.principal] } })
await ic.installCode({ mode: { install: null }, canisterId, wasmModule: await loadCanisterModule('counter_v1'), arg: new Uint8Array([0x44, 0x49, 0x44, 0x4c, 0, 0]) })

process.stdout.write(`Counter ${canisterId.toText()} controlled by ${identity.principal}\n`)
const { GITHUB_OUTPUT, GITHUB_ENV } = process.env
if (GITHUB_OUTPUT !== undefined && GITHUB_ENV !== undefined) {
  process.stdout.write(`::add-mask::${pem.trim().replace(/\n/g, '%0A')}\n`)
  const delimiter = `ghadelimiter_${randomUUID()}`
  await appendFile(GITHUB_OUTPUT, `canister=${canisterId.toText()}\nprincipal=${identity.principal}\n`)
  await appendFile(GITHUB_ENV, `SELF_TEST_IDENTITY<<${delimiter}\n${pem.trim()}\n${delimiter}\n`)
}
