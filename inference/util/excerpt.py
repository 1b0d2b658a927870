"""Quoting input safely in error messages.

An error that quotes what it read (a token, an id, a JSON value) must not let that
input take over the terminal or the dialog that shows it: a file can hold escape
sequences (``\\x1b[2J`` clears a terminal), a NUL (cuts a message short in C code),
a right-to-left override or a 5 MB token.  Every message that quotes input passes
the quoted part through :func:`excerpt`; a message built elsewhere (another module's
error text, file names) can be made safe as a whole with :func:`one_line`.
"""

from __future__ import annotations

EXCERPT_CHARS = 40
"""How much of a piece of input an error message quotes."""

MESSAGE_CHARS = 400
"""Longest message :func:`one_line` returns (before escaping)."""

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """``text`` made safe to quote in a message.

    At most ``limit`` characters of it are kept, followed by ``…`` when it was cut, and
    every character that is not printable (control characters, format characters such
    as bidi overrides, separators other than the space) is spelled as a Python escape
    (``\\x1b``, ``\\x00``, ``\\n``, ``\\u202e``).  The result never moves the cursor,
    recolours a terminal or breaks the line.
    """
    head = _escaped(text[:limit])
    return head + "…" if len(text) > limit else head


def one_line(message: str, limit: int = MESSAGE_CHARS) -> str:
    """A whole message made safe to print: one line, escaped, at most about ``limit`` chars.

    Runs of whitespace become one space; what is left unprintable is escaped as in
    :func:`excerpt`.  A longer message keeps its beginning and its end (where the reason
    usually is) around ``" … "``.
    """
    if len(message) > 4 * limit:  # never split or escape megabytes
        message = message[: 2 * limit] + " " + message[-2 * limit :]
    text = " ".join(message.split())
    if len(text) > limit:
        half = (limit - 3) // 2
        text = text[:half] + " … " + text[-half:]
    return _escaped(text)


def _escaped(text: str) -> str:
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else _escape(c) for c in text)


def _escape(c: str) -> str:
    if c in _NAMED:
        return _NAMED[c]
    code = ord(c)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"
