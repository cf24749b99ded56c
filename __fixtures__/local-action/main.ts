/**
 * The entrypoint `@github/local-action` runs: it imports a module and awaits its `run()`. The
 * bundle is a script that does its work when imported (as `node dist/index.js` on a runner), so
 * `run()` imports it. Its `@actions/core` is inlined, beyond local-action's stubs: inputs, outputs
 * and state go through the runner's environment variables and files, set in the .env file.
 */
export async function run(): Promise<void> {
  await import(new URL('../../dist/index.js', import.meta.url).href)
}
