"""The Lambda Runtime API as a runtime calls it: HTTP/1.1 on the loopback, a connection per call.

Plain sockets, not http.client: that imports ssl and email, tens of milliseconds at each Init,
which a function at 128 MB (a fourteenth of a CPU) pays fourteen times over (awslambdaric avoids
it too). Connecting on the loopback costs a fraction of a millisecond.

Kept to syntax every Python 3 parses: bootstrap.py reports a too old interpreter with it.
"""
import json
import os
import socket

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
    """One event from /invocation/next: its body and the headers (names in lower case) it came with."""

    def __init__(self, body, headers):
        self.body = body
        self.request_id = headers.get("lambda-runtime-aws-request-id")
        self.deadline_ms = int(headers.get("lambda-runtime-deadline-ms") or 0)
        self.function_arn = headers.get("lambda-runtime-invoked-function-arn")
        self.trace_id = headers.get("lambda-runtime-trace-id")
        self.client_context = headers.get("lambda-runtime-client-context")
        self.cognito_identity = headers.get("lambda-runtime-cognito-identity")
        self.content_type = headers.get("content-type")


class RuntimeApiError(Exception):
    pass


class RuntimeApi(object):
    def __init__(self, address):
        host, port = address.rsplit(":", 1)
        self.address = (host, int(port))

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
        """The body and headers of the answer. No timeout: /next is held until an event comes."""
        body = body or b""
        lines = ["%s %s%s HTTP/1.1" % (method, API, path), "Host: %s:%d" % self.address,
                 "Content-Length: %d" % len(body), "Connection: close"]
        lines += ["%s: %s" % header for header in headers.items()]
        with socket.create_connection(self.address) as connection:
            connection.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
            with connection.makefile("rb") as answer:
                status = int(answer.readline().split()[1])
                answer_headers = {}
                line = answer.readline()
                while line.strip():  # up to the blank line (or the end, should the agent go away)
                    name, _, value = line.decode("latin-1").partition(":")
                    answer_headers[name.strip().lower()] = value.strip()
                    line = answer.readline()
                length = answer_headers.get("content-length")
                # the agent closes the connection after answering (Connection: close)
                answer_body = answer.read(int(length)) if length is not None else answer.read()
        if status >= 300:
            raise RuntimeApiError("%s %s: %d %s" % (method, path, status, answer_body[:200]))
        return answer_body, answer_headers
