"""The context object a handler gets, with awslambdaric's attributes and their types."""
import json
import os
import time

from .handler import Fault


class LambdaContext(object):
    def __init__(self, invocation, log):
        self._log = log
        self.aws_request_id = invocation.request_id
        self.invoked_function_arn = invocation.function_arn
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        # a string, as awslambdaric reads it from the environment
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self._deadline_ms = invocation.deadline_ms
        client_context = _json_header(invocation.client_context, "Client Context")
        self.client_context = None
        if client_context is not None:
            self.client_context = _Fields(client_context, ("custom", "env", "client"))
            if self.client_context.client is not None:
                self.client_context.client = _Fields(self.client_context.client, (
                    "installation_id", "app_title", "app_version_name", "app_version_code", "app_package_name"))
        identity = _json_header(invocation.cognito_identity, "Cognito Identity") or {}
        self.identity = _Fields({"cognito_identity_id": identity.get("cognitoIdentityId"),
                                 "cognito_identity_pool_id": identity.get("cognitoIdentityPoolId")},
                                ("cognito_identity_id", "cognito_identity_pool_id"))

    def get_remaining_time_in_millis(self):
        return max(self._deadline_ms - int(time.time() * 1000), 0)

    def log(self, message):
        """One record in the function's log, as awslambdaric's context.log writes it."""
        self._log(str(message))

    def __repr__(self):
        return "LambdaContext(%r)" % {k: v for k, v in vars(self).items() if not k.startswith("_")}


class _Fields(object):
    """A header's JSON object as attributes: the named fields, None where absent."""

    def __init__(self, values, names):
        for name in names:
            setattr(self, name, values.get(name))

    def __repr__(self):
        return "%s(%r)" % (type(self).__name__, vars(self))


def _json_header(value, name):
    if not value:
        return None
    try:
        return json.loads(value)
    except ValueError as e:
        raise Fault("Runtime.LambdaContextUnmarshalError", "Unable to parse {} JSON: {}".format(name, e))
