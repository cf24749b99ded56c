/** Whether a benchmark was started with `--profile mainnet` (as bench/run.ts passes it on). */
export function mainnetProfile(argv: readonly string[] = process.argv): boolean {
  const at = argv.indexOf('--profile')
  return at >= 0 && argv[at + 1] === 'mainnet'
}
