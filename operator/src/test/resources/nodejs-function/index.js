// CommonJS, an async handler: reports what Lambda's Node.js runtime gives a handler.
const greet = require('tiny-greet'); // from the code's node_modules

// top-level code: runs once per environment, at Init
const initializedAt = Date.now();
let initializations = (globalThis.initializations ?? 0) + 1;
globalThis.initializations = initializations;
let invocations = 0;
console.log('module loaded');

exports.handler = async (event, context) => {
  invocations++;
  console.log('handling', JSON.stringify(event));
  if (event.fail) {
    throw new TypeError('failing on purpose: ' + event.fail);
  }
  return {
    greeting: greet(event.name),
    initializations,
    invocations,
    initializedAt,
    awsRequestId: context.awsRequestId,
    functionName: context.functionName,
    functionVersion: context.functionVersion,
    memoryLimitInMB: context.memoryLimitInMB,
    remainingTimeInMillis: context.getRemainingTimeInMillis(),
    invokedFunctionArn: context.invokedFunctionArn,
    logGroupName: context.logGroupName,
    logStreamName: context.logStreamName,
    clientContext: context.clientContext ?? null,
    identity: context.identity ?? null,
    nodeVersion: process.version,
    taskRoot: process.env.LAMBDA_TASK_ROOT,
    nodePath: process.env.NODE_PATH,
    executionEnv: process.env.AWS_EXECUTION_ENV,
  };
};
