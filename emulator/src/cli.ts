/**
 * `npm run emulator`: a local IC network on 127.0.0.1:4943 (dfx's default port, so `network: local`
 * reaches it) until SIGINT/SIGTERM. Prints `URL=…` and `ROOT_KEY=…` first for scripts.
 */
import { Command, InvalidArgumentError } from 'commander'
import { DEFAULT_SEED, Emulator, PROFILE_NAMES, REPLY_SHAPES, type ProfileName, type ReplyShape } from './index.js'

function profileName(value: string): ProfileName {
  if (!(PROFILE_NAMES as readonly string[]).includes(value)) throw new InvalidArgumentError(`--profile must be one of ${PROFILE_NAMES.join(', ')}, got '${value}'.`)
  return value as ProfileName
}

function replyShape(value: string): ReplyShape {
  if (!(REPLY_SHAPES as readonly string[]).includes(value)) throw new InvalidArgumentError(`--status-shape must be one of ${REPLY_SHAPES.join(', ')}, got '${value}'.`)
  return value as ReplyShape
}

function nonNegativeInteger(name: string, max: number) {
  return (value: string): number => {
    const n = Number(value)
    if (!/^\d+$/.test(value) || n > max) throw new InvalidArgumentError(`${name} must be an integer from 0 to ${max}, got '${value}'.`)
    return n
  }
}

const program = new Command()
  .name('emulator')
  .description('A local Internet Computer network (HTTP interface, management canister, snapshots) for tests and demos.')
  .option('--port <n>', 'port to listen on; 0 picks a free port', nonNegativeInteger('--port', 65535), 4943)
  .option('--seed <text>', 'seed of the root key: the same seed gives the same root key', DEFAULT_SEED)
  .option('--latency-ms <n>', 'time per update call, certification included, modelling consensus (default 0, or the profile value)', nonNegativeInteger('--latency-ms', 600_000))
  .option('--profile <name>', `pace of a real network: ${PROFILE_NAMES.join(', ')} (update calls 2 s, queries 0.25 s, ingress per block capped)`, profileName)
  .option('--status-shape <shape>', `records of canister_status and snapshot replies: ${REPLY_SHAPES.join(', ')}`, replyShape, 'current')
  .option('--no-delegation', 'sign certificates with the root key directly (one subnet over every canister id, as a local replica)')
  .parse()

const options = program.opts<{ port: number; seed: string; latencyMs?: number; profile?: ProfileName; statusShape: ReplyShape; delegation: boolean }>()

let emulator: Emulator
try {
  emulator = await Emulator.start({
    port: options.port,
    seed: options.seed,
    latencyMs: options.latencyMs,
    profile: options.profile,
    statusShape: options.statusShape,
    delegation: options.delegation
  })
} catch (error: unknown) {
  const why = error instanceof Error ? error.message : String(error)
  process.stderr.write(`Could not start the emulator on 127.0.0.1:${options.port}: ${why}\nPick another port with --port N (0 = any free port).\n`)
  process.exit(1)
}

process.stdout.write(
  [
    `URL=${emulator.url}`,
    `ROOT_KEY=${emulator.rootKeyHex}`,
    '',
    `IC emulator listening on ${emulator.url} (subnet ${emulator.subnetId.toText()}).`,
    'Point the action at it with the inputs:',
    `  network: ${emulator.url}`,
    `  root-key: ${emulator.rootKeyHex}`,
    'Point icp at it with:',
    `  icp canister status <canister-id> --network ${emulator.url} --root-key ${emulator.rootKeyHex}`,
    'Anyone may create canisters with provisional_create_canister_with_cycles. Stop with Ctrl+C.',
    ''
  ].join('\n')
)

let stopping = false
const shutdown = (signal: string): void => {
  if (stopping) return
  stopping = true
  process.stdout.write(`Received ${signal}, shutting down.\n`)
  emulator.close().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`Error while shutting down: ${error instanceof Error ? error.message : String(error)}\n`)
      process.exit(1)
    }
  )
}
process.on('SIGINT', () => shutdown('SIGINT'))
process.on('SIGTERM', () => shutdown('SIGTERM'))
