/** Fault matrix rows for: download (of an existing snapshot and of a new one). */
import { describeFaultMatrix } from './fault-matrix-suite.js'

describeFaultMatrix('download', ['download', 'download-new'], { backup: false })
