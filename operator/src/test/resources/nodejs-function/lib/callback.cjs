// A callback handler in a folder (handler 'lib/callback.handler'); 'words' is words.js at the
// code's root, found through NODE_PATH as on Lambda (LAMBDA_TASK_ROOT is on it).
const words = require('words');

exports.handler = (event, context, callback) => {
  setTimeout(() => callback(null, { module: 'callback', word: words.hello, name: event.name }), 5);
};
