/** The core's Logger on top of `@actions/core`: annotations for warnings/errors, real log groups. */
import * as core from '@actions/core'
import type { Logger } from '../core/logger.js'

export const actionLogger: Logger = {
  debug: (m) => core.debug(m),
  info: (m) => core.info(m),
  warning: (m) => core.warning(m),
  error: (m) => core.error(m),
  group: (name, fn) => core.group(name, fn)
}
