"""The function's log as Lambda's Python runtime writes it. print() output stays raw on stdout (the
agent reads it line by line). The logging module's root logger gets a handler with Lambda's format
(its level stays Python's default, WARNING, as on Lambda), and its records and the runtime's error
reports go to the descriptor in _LAMBDA_TELEMETRY_LOG_FD as framed records, one record however many
lines it has; without that descriptor, to stdout with a record's inner line breaks as \\r."""
import logging
import os
import struct
import sys
import time

# the frame header of AWS's clients: type a55a0003 (a text record), length, timestamp in µs
FRAME = struct.Struct(">IIQ")
FRAME_TYPE = 0xA55A0003
FORMAT = "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n"
# Lambda indents a stack trace's lines with no-break spaces, so no log viewer strips them
INDENT = "\u00a0"


class FramedSink(object):
    def __init__(self, fd):
        self.file = os.fdopen(fd, "wb", 0)

    def record(self, text):
        data = text.encode("utf-8")
        # one write: a frame is never split by another thread's
        self.file.write(FRAME.pack(FRAME_TYPE, len(data), time.time_ns() // 1000) + data)


class StdoutSink(object):
    def record(self, text):
        sys.stdout.write(text.rstrip("\n").replace("\n", "\r") + "\n")


class _RequestId(logging.Filter):
    """Puts the request id of the invocation running (empty at Init) on each record."""
    request_id = ""

    def filter(self, record):
        record.aws_request_id = _RequestId.request_id
        return True


class _SinkHandler(logging.Handler):
    def __init__(self, sink):
        super().__init__()
        self.sink = sink

    def emit(self, record):
        try:
            self.sink.record(self.format(record))
        except Exception:
            self.handleError(record)


def setup():
    """The sink of log records, and the root logger writing to it. The variable is removed, as
    awslambdaric removes it: the function's own child processes must not write frames."""
    fd = os.environ.pop("_LAMBDA_TELEMETRY_LOG_FD", None)
    sink = FramedSink(int(fd)) if fd else StdoutSink()
    handler = _SinkHandler(sink)
    formatter = logging.Formatter(FORMAT, "%Y-%m-%dT%H:%M:%S")
    formatter.converter = time.gmtime
    handler.setFormatter(formatter)
    handler.addFilter(_RequestId())
    logging.getLogger().addHandler(handler)
    return sink


def set_request_id(request_id):
    _RequestId.request_id = request_id


def log_error(sink, error):
    """An error object as Lambda's runtime logs it: '[ERROR] TYPE: MESSAGE', then the trace."""
    head = "[ERROR] " + error["errorType"]
    if error["errorMessage"]:
        head += ": " + error["errorMessage"]
    lines = [head, "Traceback (most recent call last):"]
    for element in error["stackTrace"]:
        for line in element.splitlines():
            stripped = line.lstrip(" ")
            lines.append(INDENT * (len(line) - len(stripped)) + stripped)
    sink.record("\n".join(lines))
