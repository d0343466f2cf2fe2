"""Events in and answers out, as awslambdaric's marshaller: JSON both ways, bytes passed as they are."""
import decimal
import json

from .handler import Fault


def decode(body, content_type):
    """The event the handler gets: JSON parsed, or the bytes of another content type."""
    if content_type not in (None, "application/json"):
        return body
    try:
        return json.loads(body)
    except ValueError as e:
        raise Fault("Runtime.UnmarshalError", "Unable to unmarshal input: {}".format(e))


def encode(answer):
    """The body and content type of what the handler returned."""
    if isinstance(answer, bytes):
        return answer, "application/unknown"
    try:
        return json.dumps(answer, separators=(",", ":"), ensure_ascii=False, default=_number).encode("utf-8"), \
            "application/json"
    except (TypeError, ValueError) as e:
        raise Fault("Runtime.MarshalError", "Unable to marshal response: {}".format(e))


def _number(value):
    # DynamoDB's client hands out numbers as Decimal; awslambdaric answers them as numbers
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError("Object of type {} is not JSON serializable".format(type(value).__name__))
