/** The job summary: one table per run plus the commit and run it belongs to, as audit evidence. */
import * as core from '@actions/core'
import type { CommandResult } from '../core/commands/types.js'
import { SUMMARY_HEADER, summaryRows } from '../core/report.js'

export async function writeSummary(result: CommandResult, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const title = `Canister ${result.operation}${result.dryRun ? ' (dry run)' : ''}`
  const header = SUMMARY_HEADER.map((data) => ({ data, header: true }))
  const provenance = [
    env.GITHUB_SHA === undefined ? undefined : `Commit \`${env.GITHUB_SHA}\``,
    env.GITHUB_REF_NAME === undefined ? undefined : `ref \`${env.GITHUB_REF_NAME}\``,
    env.GITHUB_RUN_ID === undefined || env.GITHUB_REPOSITORY === undefined
      ? undefined
      : `[run ${env.GITHUB_RUN_ID}](${env.GITHUB_SERVER_URL ?? 'https://github.com'}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID})`,
    `identity \`${result.principal}\``
  ].filter((s): s is string => s !== undefined)
  await core.summary
    .addHeading(title, 3)
    .addTable([header, ...summaryRows(result)])
    .addRaw(provenance.join(' · '), true)
    .write()
}
