#!/usr/bin/env node
import { runCli } from './program.js'

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Uint8Array))
  return Buffer.concat(chunks).toString('utf8')
}

/** First Ctrl-C / SIGTERM: run the handler (restart what was stopped), then exit 130. Second: exit now. */
function onInterrupt(handler: () => Promise<void>): () => void {
  let interrupted = false
  const listener = (): void => {
    if (interrupted) process.exit(130)
    interrupted = true
    handler().finally(() => process.exit(130))
  }
  process.on('SIGINT', listener)
  process.on('SIGTERM', listener)
  return () => {
    process.off('SIGINT', listener)
    process.off('SIGTERM', listener)
  }
}

/* istanbul ignore next */
process.exitCode = await runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  readStdin,
  onInterrupt
})
