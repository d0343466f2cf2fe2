"""The function's handler, loaded once at Init as awslambdaric loads it, and what goes wrong in it
turned into Lambda's error objects."""
import importlib
import os
import sys
import traceback

from .runtime_api import error_object

# runtimes/python: frames of the runtime client are left out of a function's stack trace
RUNTIME_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


class Fault(Exception):
    """An error of the runtime's own (Runtime.*), worded as Lambda words it."""

    def __init__(self, error_type, message, stack_trace=None):
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.stack_trace = stack_trace


def load(handler):
    """Imports the module of MODULE.FUNCTION (which runs its top-level code) and returns the function."""
    try:
        module_name, function_name = handler.rsplit(".", 1)
    except ValueError as e:
        raise Fault("Runtime.MalformedHandlerName", "Bad handler '{}': {}".format(handler, e))
    if module_name.split(".")[0] in sys.builtin_module_names:
        raise Fault("Runtime.BuiltInModuleConflict",
                    "Cannot use built-in module {} as a handler module".format(module_name))
    try:
        module = importlib.import_module(module_name.replace("/", "."))
    except ImportError as e:
        raise Fault("Runtime.ImportModuleError", "Unable to import module '{}': {}".format(module_name, e))
    except SyntaxError as e:
        raise Fault("Runtime.UserCodeSyntaxError", "Syntax error in module '{}': {}".format(module_name, e),
                    ['  File "%s" Line %s\n    %s' % (e.filename, e.lineno, e.text)])
    try:
        return getattr(module, function_name)
    except AttributeError:
        raise Fault("Runtime.HandlerNotFound",
                    "Handler '{}' missing on module '{}'".format(function_name, module_name))


def error_of(error, request_id=""):
    """Lambda's error object of an exception: a Fault as worded, anything else (the function's own)
    as its class name, message and stack trace."""
    if isinstance(error, Fault):
        return error_object(error.error_type, error.message, error.stack_trace, request_id)
    frames = traceback.extract_tb(error.__traceback__)
    first = 0
    while first < len(frames) and frames[first].filename.startswith(RUNTIME_DIR):
        first += 1
    return error_object(type(error).__name__, str(error), traceback.format_list(frames[first:]), request_id)
