import * as core from '@actions/core'
import { IS_POST_STATE, run } from './main.js'
import { runPost } from './post.js'

// One bundle serves `main` and `post` (as actions/checkout does): the main step leaves a state
// flag that only the post step of the same action can read.
/* istanbul ignore next */
if (core.getState(IS_POST_STATE) === 'true') await runPost()
else await run()
