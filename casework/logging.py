"""Keep request paths out of log lines: a mistyped URL may hold anything, a name included."""

import logging
import re

_PATH = re.compile(r"(/[^/\s\"?]+)/[^\s\"]*")


def redact_path(text):
    """``/cases/7X3-QM9P-DK4/contacts/…?q=…`` → ``/cases/[…]``: the section, never the rest."""
    return _PATH.sub(r"\1/[…]", text)


class RedactPaths(logging.Filter):
    def filter(self, record):
        if isinstance(record.args, tuple):
            record.args = tuple(redact_path(arg) if isinstance(arg, str) else arg for arg in record.args)
        if isinstance(record.msg, str):
            record.msg = redact_path(record.msg)
        return True
