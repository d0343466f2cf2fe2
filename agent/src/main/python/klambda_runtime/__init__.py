"""klambda's Lambda runtime client for Python, in the standard library only.

It meets the contract of AWS's awslambdaric (the Runtime API loop, the context object, the error
objects and Init errors, the log format and framed log records), which cannot be installed where
PyPI cannot be reached. Modules: runtime_api (HTTP to the agent), handler (loading the function,
error objects), context (the context object), logs (print, logging and framed records), loop
(Init, then one event after another).
"""
