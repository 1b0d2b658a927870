"""Reading program files and writing output files safely.

Writes are atomic: the bytes go to a temporary file in the target's directory,
are flushed and fsynced, then renamed over the target with :func:`os.replace`.
A failure at any point removes the temporary file and leaves the target as it
was, so no reader ever sees a half-written file.

Reads turn every kind of bad input into one :class:`ProgramFileError` whose
message is a single line naming the file and the reason.
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import os
import stat
import threading
from pathlib import Path

from inference.lang.grammar import CSG2D, TINYSVG, Grammar
from inference.lang.program_json import from_json
from inference.lang.syntax import MAX_PRIMITIVES, detect_language, parse
from inference.lang.tree import Node
from inference.util.bounded_json import MAX_JSON_DIGITS, MAX_JSON_VALUES, parse_json
from inference.util.excerpt import excerpt, one_line

__all__ = [  # parse_json and its limits are read from here too (editor.docfile)
    "MAX_INPUT_BYTES", "MAX_JSON_DIGITS", "MAX_JSON_VALUES", "MAX_PROBLEMS",
    "MAX_SET_PRIMITIVES", "PROGRAM_SUFFIXES", "ProgramFileError", "atomic_write_bytes",
    "atomic_write_text", "jsonl_lines", "parse_json", "read_problems", "read_program",
    "read_text",
]  # fmt: skip

PROGRAM_SUFFIXES = (".csg", ".tsvg", ".json")
"""File types :func:`read_program` understands: CSG2D text, TinySVG text, and the JSON export
of either."""

MAX_INPUT_BYTES = 16 * 1024 * 1024
"""Largest program or problem-set file read; anything bigger is refused."""

MAX_PROBLEMS = 4096
"""Most problems a ``problems.jsonl`` set may hold (the refset has 128)."""

MAX_SET_PRIMITIVES = 8 * MAX_PROBLEMS
"""Most primitives all the programs of a problem set may have together (8 each on average,
the most of a benchmark problem); with :data:`MAX_PROBLEMS` it keeps reading any set
under a few seconds."""

_tmp_counter = itertools.count()


class ProgramFileError(ValueError):
    """A program file that cannot be used; ``str()`` is one line: file name and reason."""


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temp file in the same folder + rename).

    An existing target keeps its permission bits; a new one gets the usual
    ``0o666 & ~umask``.  On any error the temporary file is removed, the target
    is untouched and the exception propagates (an ``OSError`` for I/O trouble).
    A path ending in a separator names a folder: ``IsADirectoryError``, nothing
    written.
    """
    if os.fsdecode(path).endswith((os.sep, os.altsep or os.sep)):
        raise IsADirectoryError(errno.EISDIR, "a path ending in a separator names a folder", path)
    target = Path(os.path.realpath(path)) if os.path.islink(path) else Path(path)
    tmp, fd = _create_temp(target)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        with contextlib.suppress(FileNotFoundError):
            os.chmod(tmp, stat.S_IMODE(os.stat(target).st_mode))
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(target.parent)


def atomic_write_text(path: str | os.PathLike, text: str, encoding: str = "utf-8") -> None:
    """Write ``text`` to ``path`` atomically, encoded (UTF-8 by default), newlines as given."""
    atomic_write_bytes(path, text.encode(encoding))


def _create_temp(target: Path) -> tuple[Path, int]:
    """Create a new, exclusive temp file next to ``target``; returns its path and fd."""
    stem = f".{target.name}.{os.getpid()}.{threading.get_ident()}"
    while True:
        tmp = target.with_name(f"{stem}.{next(_tmp_counter)}.tmp")
        try:
            return tmp, os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue


def _fsync_dir(directory: Path) -> None:
    """Make the rename durable where the platform allows it (POSIX); best effort."""
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def read_text(path: str | os.PathLike) -> str:
    """The UTF-8 text of ``path`` (a leading BOM is dropped).

    At most :data:`MAX_INPUT_BYTES` are read, also from a pipe or a device (whose size
    says nothing).

    Raises:
        ProgramFileError: missing, a folder, unreadable, too large, not UTF-8, or a name
            no file can have (a NUL in it).
    """
    name = os.fspath(path)
    if os.path.isdir(name):
        raise ProgramFileError(f"{name}: is a folder, not a file")
    try:
        size, data = os.path.getsize(name), b""
        if size <= MAX_INPUT_BYTES:
            with open(name, "rb") as f:  # a pipe or a device has no size: read one byte more
                data = f.read(MAX_INPUT_BYTES + 1)
    except FileNotFoundError:
        raise ProgramFileError(f"{name}: no such file") from None
    except OSError as e:
        raise ProgramFileError(f"{name}: cannot read ({e.strerror or e})") from None
    except ValueError:  # a NUL in the name
        raise ProgramFileError(f"{excerpt(name, 4096)}: not a usable file name") from None
    if max(size, len(data)) > MAX_INPUT_BYTES:
        raise ProgramFileError(f"{name}: file too large (over {MAX_INPUT_BYTES} bytes)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ProgramFileError(
            f"{name}: not UTF-8 text (byte 0x{data[e.start]:02x} at offset {e.start})"
        ) from None


def language_of(text: str, suffix: str = "") -> Grammar:
    """The language of program text: the one whose keyword it holds
    (:func:`inference.lang.syntax.detect_language`), else the one its file suffix names
    (``.tsvg``: TinySVG), else CSG2D."""
    grammar = detect_language(text)
    if grammar is CSG2D and suffix.lower() == ".tsvg":
        try:
            parse(text)
        except ValueError:
            return TINYSVG  # no CSG2D program either: say what is wrong in TinySVG's words
    return grammar


def read_program(path: str | os.PathLike, language: Grammar | None = None) -> Node:
    """Read one program from a ``.csg`` (canonical or compact text), ``.tsvg`` (TinySVG
    text) or ``.json`` export.  The language is the one the contents name
    (:func:`language_of`), or ``language`` when given (then a program of another language
    is refused).

    Raises:
        ProgramFileError: one line naming the file and the reason (unknown
            extension, missing, unreadable, not UTF-8, or a parse error with
            line and column).
    """
    name = os.fspath(path)
    if os.path.isdir(name):
        raise ProgramFileError(f"{name}: is a folder, not a program file")
    if not os.path.lexists(name):
        raise ProgramFileError(f"{name}: no such file")
    suffix = Path(name).suffix.lower()
    if suffix not in PROGRAM_SUFFIXES:
        shown = f"'{suffix}'" if suffix else "no extension"
        raise ProgramFileError(
            f"{name}: unknown program file type ({shown}); expected .csg, .tsvg or .json"
        )
    text = read_text(name)
    try:
        if suffix != ".json":
            found = language_of(text, suffix)
            if language is not None and found is not language:
                raise ValueError(f"a {found.name} program, not {language.name}")
            return parse(text, grammar=found)
        node = from_json(text)  # bounded (bounded_json.parse_json), then the format's checks
        if language is not None and node.grammar is not language:
            raise ValueError(f"a {node.grammar.name} program, not {language.name}")
    except ValueError as e:
        raise ProgramFileError(f"{name}: {one_line(str(e))}") from None
    if node.sigma > MAX_PRIMITIVES:
        raise ProgramFileError(
            f"{name}: program has {node.sigma} primitives, more than {MAX_PRIMITIVES}"
        )
    return node


def read_problems(path: str | os.PathLike) -> list[tuple[str, Node]]:
    """Read a ``problems.jsonl`` file: one JSON record a line with ``id`` and ``program``.

    Blank lines are skipped.  Ids must be usable as file names (they name the
    rendered PNGs) and unique.  A set holds at most :data:`MAX_PROBLEMS` problems and
    :data:`MAX_SET_PRIMITIVES` primitives in all.

    Raises:
        ProgramFileError: naming the file and line of the first bad record.
    """
    name = os.fspath(path)
    problems: list[tuple[str, Node]] = []
    seen: set[str] = set()
    primitives = 0
    for number, line in enumerate(jsonl_lines(read_text(name)), start=1):
        if not line.strip():
            continue
        try:
            if len(problems) == MAX_PROBLEMS:
                raise ValueError(f"more than {MAX_PROBLEMS} problems in one set")
            pid, node = _problem_record(line)
            if pid in seen:
                raise ValueError(f"duplicate id '{excerpt(pid)}'")
            primitives += node.sigma
            if primitives > MAX_SET_PRIMITIVES:
                raise ValueError(f"more than {MAX_SET_PRIMITIVES} primitives in one set")
        except ValueError as e:
            raise ProgramFileError(f"{name}, line {number}: {one_line(str(e))}") from None
        seen.add(pid)
        problems.append((pid, node))
    return problems


def jsonl_lines(text: str) -> list[str]:
    """The lines of a JSON Lines text: split at ``"\n"`` only, a trailing ``"\r"`` dropped.

    Not :meth:`str.splitlines`, which also breaks at U+2028, U+0085, ``\x1c``… that a
    JSON string may hold raw (a valid record would be cut in two).
    """
    return [line.removesuffix("\r") for line in text.split("\n")]


def _problem_record(line: str) -> tuple[str, Node]:
    record = parse_json(line)
    if not isinstance(record, dict):
        raise ValueError("a record must be a JSON object with 'id' and 'program'")
    pid, program = record.get("id"), record.get("program")
    if not isinstance(pid, str) or not isinstance(program, str):
        raise ValueError("a record needs string fields 'id' and 'program'")
    if pid in ("", ".", "..") or any(c in pid for c in "/\\:\0"):
        raise ValueError(f"id '{excerpt(pid)}' cannot be used as a file name")
    try:
        return pid, parse(program, grammar=detect_language(program))
    except ValueError as e:
        raise ValueError(f"program of '{excerpt(pid)}': {e}") from None
