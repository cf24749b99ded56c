/** Fault matrix rows for: rollback. */
import { describeFaultMatrix } from './fault-matrix-suite.js'

describeFaultMatrix('rollback', ['rollback'], { backup: false })
