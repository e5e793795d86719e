"""Keep request paths out of log lines: a mistyped URL may hold anything, a name included."""

import logging
import re

# A path in a log line: the first segment is kept only when it is one of our sections.
_PATH = re.compile(r"/(?:(cases|accounts|providers|audit|access|static|i18n)(?=[/?\s\"]|$))?[^\s\"]*")


def _keep_section(match):
    return f"/{match.group(1)}/[…]" if match.group(1) else "/[…]"


def redact_path(text):
    """``/cases/7X3-QM9P-DK4/contacts/…?q=…`` → ``/cases/[…]``: the section, never the rest;
    ``/<anything else>`` → ``/[…]`` (a name typed as a path is not a section)."""
    return _PATH.sub(_keep_section, text)


class RedactPaths(logging.Filter):
    def filter(self, record):
        if isinstance(record.args, tuple):
            record.args = tuple(redact_path(arg) if isinstance(arg, str) else arg for arg in record.args)
        if isinstance(record.msg, str):
            record.msg = redact_path(record.msg)
        return True
