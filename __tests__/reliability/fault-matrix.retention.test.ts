/** Fault matrix rows for: delete and prune. */
import { describeFaultMatrix } from './fault-matrix-suite.js'

describeFaultMatrix('delete and prune', ['delete', 'prune'], { backup: false })
