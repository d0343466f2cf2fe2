// does not parse: Init fails with Runtime.UserCodeSyntaxError
exports.handler = async (event) => {
