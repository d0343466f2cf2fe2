"""klambda's python3.11 runtime: `python3 -u bootstrap.py MODULE.FUNCTION`, as the agent starts it.

Kept to syntax every Python 3 parses, so that an interpreter older than the runtime needs gets a
clear Init error (Runtime.InvalidRuntime) instead of a SyntaxError in the runtime client.
"""
import sys

from klambda_runtime import runtime_api

REQUIRED = (3, 11)

if sys.version_info < REQUIRED:
    runtime_api.RuntimeApi.from_environment().init_error(runtime_api.error_object(
        "Runtime.InvalidRuntime",
        "Function '%s' (python3.11) needs Python %d.%d or newer; %s is %s" % (
            runtime_api.function_name(), REQUIRED[0], REQUIRED[1], sys.executable,
            sys.version.split()[0])))
    sys.exit(1)

from klambda_runtime import loop  # noqa: E402 (needs the version checked above)

loop.run(sys.argv[1])
