"""Init (the handler's module imported once), then one event after another until the agent stops us."""
import os
import sys

from . import handler, logs, payloads
from .context import LambdaContext
from .runtime_api import RuntimeApi


def run(handler_name):
    api = RuntimeApi.from_environment()
    sink = logs.setup()
    try:
        function = handler.load(handler_name)
    except Exception as e:
        error = handler.error_of(e)
        logs.log_error(sink, error)
        api.init_error(error)
        sys.exit(1)
    while True:
        invocation = api.next()
        logs.set_request_id(invocation.request_id)
        _set_trace_id(invocation.trace_id)
        try:
            event = payloads.decode(invocation.body, invocation.content_type)
            body, content_type = payloads.encode(function(event, LambdaContext(invocation, sink.record)))
        except Exception as e:
            error = handler.error_of(e, invocation.request_id)
            logs.log_error(sink, error)
            api.error(invocation.request_id, error)
        else:
            api.respond(invocation.request_id, body, content_type)


def _set_trace_id(trace_id):
    """X-Ray's trace header of this invocation, where the X-Ray SDK reads it."""
    if trace_id:
        os.environ["_X_AMZN_TRACE_ID"] = trace_id
    else:
        os.environ.pop("_X_AMZN_TRACE_ID", None)
