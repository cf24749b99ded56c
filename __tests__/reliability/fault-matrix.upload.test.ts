/** Fault matrix rows for: upload. */
import { describeFaultMatrix } from './fault-matrix-suite.js'

describeFaultMatrix('upload', ['upload'], { backup: true })
