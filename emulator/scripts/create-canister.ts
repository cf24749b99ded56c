/**
 * Creates an empty canister on the emulator (or any local network that allows
 * `provisional_create_canister_with_cycles`) and prints its id, for demo users: `icp canister
 * create` needs the cycles ledger, which the emulator does not run.
 *
 *   npx tsx emulator/scripts/create-canister.ts --controller "$(icp identity principal)" \
 *     [--network http://127.0.0.1:4943] [--root-key <hex>] [--cycles 100000000000000]
 */
import { Command, InvalidArgumentError } from 'commander'
import { AnonymousIdentity, HttpAgent } from '@icp-sdk/core/agent'
import { Principal } from '@icp-sdk/core/principal'
import { IcManagementCanister } from '@icp-sdk/canisters/ic-management'

function principal(value: string, previous: string[] = []): string[] {
  try {
    return [...previous, Principal.fromText(value).toText()]
  } catch {
    throw new InvalidArgumentError(`--controller must be a principal such as the output of \`icp identity principal\`, got '${value}'.`)
  }
}

function loopbackUrl(value: string): string {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new InvalidArgumentError(`--network must be a URL such as http://127.0.0.1:4943, got '${value}'.`)
  }
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) {
    throw new InvalidArgumentError(`--network must be a loopback address (provisional canister creation exists only on local networks), got '${value}'.`)
  }
  return url.origin
}

function rootKey(value: string): Uint8Array {
  if (!/^[0-9a-fA-F]{266}$/.test(value)) throw new InvalidArgumentError('--root-key must be the 266 hex characters the emulator prints as ROOT_KEY=….')
  return Uint8Array.from(Buffer.from(value, 'hex'))
}

function cycles(value: string): bigint {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`--cycles must be a whole number, got '${value}'.`)
  return BigInt(value)
}

const options = new Command()
  .name('create-canister')
  .description('Create an empty canister on a local emulator and print its id.')
  .requiredOption('--controller <principal>', 'controller of the new canister (repeatable)', principal)
  .option('--network <url>', 'emulator URL', loopbackUrl, 'http://127.0.0.1:4943')
  .option('--root-key <hex>', 'the emulator root key (ROOT_KEY=…); fetched from the emulator when omitted', rootKey)
  .option('--cycles <n>', 'initial cycle balance', cycles)
  .parse()
  .opts<{ controller: string[]; network: string; rootKey?: Uint8Array; cycles?: bigint }>()

try {
  const agent = await HttpAgent.create({
    host: options.network,
    identity: new AnonymousIdentity(),
    rootKey: options.rootKey,
    shouldFetchRootKey: options.rootKey === undefined
  })
  const canisterId = await IcManagementCanister.create({ agent }).provisionalCreateCanisterWithCycles({
    settings: { controllers: options.controller },
    amount: options.cycles
  })
  process.stdout.write(`${canisterId.toText()}\n`)
} catch (error: unknown) {
  process.stderr.write(`Could not create a canister on ${options.network}: ${error instanceof Error ? error.message : String(error)}\nIs the emulator running (npm run emulator)?\n`)
  process.exitCode = 1
}
