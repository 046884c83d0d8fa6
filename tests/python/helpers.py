"""Helpers shared by the test modules (importable because pytest puts this folder on sys.path)."""

from __future__ import annotations

import pickle
import secrets
import string

_ALNUM = string.ascii_letters + string.digits


def random_key() -> str:
    """A key in the real format that no server knows: `hopx_live_<12>.<32>`."""
    key_id = "".join(secrets.choice(_ALNUM) for _ in range(12))
    secret = "".join(secrets.choice(_ALNUM) for _ in range(32))
    return f"hopx_live_{key_id}.{secret}"


def secret_of(key: str) -> str:
    """The part after the dot."""
    return key.split(".", 1)[1]


def error_texts(error: BaseException) -> dict:
    """Everything a user, a log or a crash reporter could see of an error, by place."""
    places = {
        "str": str(error),
        "repr": repr(error),
        "args": repr(error.args),
    }
    for name, value in vars(error).items():
        places[f"attribute {name}"] = repr(value)
    places["pickle"] = pickle.dumps(error).decode("utf-8", errors="replace")
    return places


def assert_secret_absent(error: BaseException, secret: str) -> None:
    """The secret appears nowhere in str, repr, args, attributes (by repr) or pickled bytes."""
    assert secret, "empty secret: nothing to check"
    for where, text in error_texts(error).items():
        assert secret not in text, f"the secret appears in the error's {where}"
        assert repr(secret)[1:-1] not in text, f"the secret (escaped) appears in the error's {where}"
    assert secret.encode("utf-8") not in pickle.dumps(error), "the secret is in the pickled error"
