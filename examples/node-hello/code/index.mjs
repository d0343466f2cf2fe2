// A Node.js Lambda handler (nodejs22.x): an ES module with an async handler. 'ms' is vendored in
// node_modules beside it (npm's ms 2.1.3, MIT), so nothing is installed when it is deployed.
import ms from 'ms';

const started = Date.now(); // module top-level code runs once per environment, at Init

export const handler = async (event, context) => {
  console.log('greeting', event.name ?? 'world');
  return {
    message: `Hello, ${event.name ?? 'world'}!`,
    requestId: context.awsRequestId,
    environmentAge: ms(Date.now() - started, { long: true }),
    timeLeft: ms(context.getRemainingTimeInMillis()),
  };
};
