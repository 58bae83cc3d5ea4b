"""Schemathesis hooks for the HTTP API's fuzzing test: each generated call gets an
Idempotency-Key of its own. A key is the call's message id, so a fuzzer that sent one key
with two different calls would get the first call's answer to the second, as the contract
says it should."""
import uuid

import schemathesis


@schemathesis.hook
def before_call(context, case, kwargs):
    key = (case.headers or {}).get("Idempotency-Key")
    # A key the document allows is swapped for a fresh one; a negative case (empty, too
    # long, not text) is left as generated, to be refused.
    if isinstance(key, str) and 1 <= len(key) <= 200:
        case.headers["Idempotency-Key"] = str(uuid.uuid4())
