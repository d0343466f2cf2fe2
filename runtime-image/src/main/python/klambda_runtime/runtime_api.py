"""The Lambda Runtime API as a runtime calls it, over one kept-alive HTTP/1.1 connection.

Kept to syntax every Python 3 parses: bootstrap.py reports a too old interpreter with it.
"""
import http.client
import json
import os

API = "/2018-06-01/runtime"
ERROR_TYPE_HEADER = "Lambda-Runtime-Function-Error-Type"


def function_name():
    return os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")


def error_object(error_type, message, stack_trace=None, request_id=""):
    """Lambda's error object, the body of /error and /init/error and what the caller gets."""
    return {
        "errorMessage": message,
        "errorType": error_type,
        "requestId": request_id,
        "stackTrace": stack_trace or [],
    }


class Invocation(object):
    """One event from /invocation/next: its body and the headers the agent sent with it."""

    def __init__(self, body, headers):
        self.body = body
        self.request_id = headers.get("Lambda-Runtime-Aws-Request-Id")
        self.deadline_ms = int(headers.get("Lambda-Runtime-Deadline-Ms") or 0)
        self.function_arn = headers.get("Lambda-Runtime-Invoked-Function-Arn")
        self.trace_id = headers.get("Lambda-Runtime-Trace-Id")
        self.client_context = headers.get("Lambda-Runtime-Client-Context")
        self.cognito_identity = headers.get("Lambda-Runtime-Cognito-Identity")
        self.content_type = headers.get("Content-Type")


class RuntimeApiError(Exception):
    pass


class RuntimeApi(object):
    def __init__(self, address):
        # no timeout: /next is held until an event comes, however long that is
        self.connection = http.client.HTTPConnection(address)

    @classmethod
    def from_environment(cls):
        return cls(os.environ["AWS_LAMBDA_RUNTIME_API"])

    def next(self):
        body, headers = self._call("GET", "/invocation/next", None, {})
        return Invocation(body, headers)

    def respond(self, request_id, body, content_type):
        self._call("POST", "/invocation/%s/response" % request_id, body, {"Content-Type": content_type})

    def error(self, request_id, error):
        self._post_error("/invocation/%s/error" % request_id, error)

    def init_error(self, error):
        self._post_error("/init/error", error)

    def _post_error(self, path, error):
        body = json.dumps(error, separators=(",", ":")).encode("utf-8")
        self._call("POST", path, body, {"Content-Type": "application/json",
                                        ERROR_TYPE_HEADER: error["errorType"]})

    def _call(self, method, path, body, headers):
        self.connection.request(method, API + path, body, headers)
        response = self.connection.getresponse()
        answer = response.read()
        if response.status >= 300:
            raise RuntimeApiError("%s %s: %d %s" % (method, path, response.status, answer[:200]))
        return answer, response.headers
