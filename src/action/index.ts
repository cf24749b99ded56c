import * as core from '@actions/core'
import { run } from './main.js'
import { runPost } from './post.js'
import { IS_POST_STATE } from './state.js'

// One bundle serves `main` and `post` (as actions/checkout does): the main step leaves a state
// flag that only the post step of the same action can read.
/* istanbul ignore next */
if (core.getState(IS_POST_STATE) === 'true') await runPost()
else await run()
