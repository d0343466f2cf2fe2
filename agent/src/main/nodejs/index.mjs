// The nodejs22.x runtime's entry, as Lambda's own /var/runtime/index.mjs: AWS's runtime interface
// client loads _HANDLER from LAMBDA_TASK_ROOT and serves it over the Runtime API. (The client's
// bin/index.mjs would do the same with the working folder and an argument, and print a line of its
// own into the function's log, which Lambda's runtime does not.)
import { run } from "./node_modules/aws-lambda-ric/dist/index.mjs";

await run(process.env.LAMBDA_TASK_ROOT, process.env._HANDLER);
