"""PDF documents attached to applications, stored by content.

A document is kept as <sha256>.pdf: the same content uploaded twice is one file, and the
name proves what is inside.
"""

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from shared.core.refusal import Refusal

MAX_DOCUMENT_BYTES_DEFAULT = 10 * 1024 * 1024
GONE = "This document's file is no longer stored: ask the applicant to send it again."

_CHUNK_BYTES = 64 * 1024
# PDF 1.7 (ISO 32000-1), annex H: readers accept the header anywhere in the first 1024
# bytes and the end-of-file marker anywhere in the last 1024.
_HEADER = b"%PDF-"
_END_MARKER = b"%%EOF"
_TOLERANCE_BYTES = 1024
_SHA256 = re.compile(r"[0-9a-f]{64}")


class DocumentTooLarge(Exception):
    pass


class NotAPdf(Exception):
    pass


@dataclass(frozen=True)
class StoredFile:
    path: Path
    sha256: str
    size: int


def store_pdf(stream: BinaryIO, directory: Path, max_bytes: int = MAX_DOCUMENT_BYTES_DEFAULT) -> StoredFile:
    """Copy a PDF upload into the directory under its sha256.

    Reads at most max_bytes + 1 bytes of the stream; raises DocumentTooLarge or NotAPdf
    and leaves nothing behind when the upload is refused.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    head = b""
    tail = b""

    descriptor, temporary_name = tempfile.mkstemp(dir=directory, prefix=".upload-", suffix=".part")
    temporary = Path(temporary_name)
    try:
        with os.fdopen(descriptor, "wb") as out:
            while True:
                # Never ask for more than one byte past the limit, so an oversized upload
                # is detected without being read.
                chunk = stream.read(min(_CHUNK_BYTES, max_bytes + 1 - size))
                if not chunk:
                    break
                size += len(chunk)
                if size > max_bytes:
                    raise DocumentTooLarge(f"A document may be at most {max_bytes} bytes.")
                if len(head) < _TOLERANCE_BYTES:
                    head = (head + chunk)[:_TOLERANCE_BYTES]
                    if len(head) == _TOLERANCE_BYTES and _HEADER not in head:
                        raise NotAPdf("The document is not a PDF.")
                tail = (tail + chunk)[-_TOLERANCE_BYTES:]
                digest.update(chunk)
                out.write(chunk)
            if _HEADER not in head or _END_MARKER not in tail:
                raise NotAPdf("The document is not a PDF.")
            out.flush()
            os.fsync(out.fileno())

        sha256 = digest.hexdigest()
        final = directory / f"{sha256}.pdf"
        if final.exists():
            temporary.unlink()
        else:
            os.replace(temporary, final)
        return StoredFile(path=final, sha256=sha256, size=size)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def open_stored(directory: Path, sha256: str) -> BinaryIO:
    """The stored document with this sha256, opened for reading."""
    # Only a digest may become part of a path: nothing like "../" gets through.
    if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
        raise ValueError("A document is named by a 64-character lowercase hexadecimal sha256.")
    try:
        return open(Path(directory) / f"{sha256}.pdf", "rb")
    except FileNotFoundError:
        # The record outlived its file (a lost volume, a restore without the files): a clear
        # answer, never a server error.
        raise Refusal(410, GONE) from None
