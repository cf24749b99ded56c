/** Fault matrix rows for: snapshot. */
import { describeFaultMatrix } from './fault-matrix-suite.js'

describeFaultMatrix('snapshot', ['snapshot'], { backup: false })
