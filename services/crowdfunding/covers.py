"""Campaign cover images, checked by their content and stored outside the database.

An upload is read up to the size limit (one byte more is "too large"), then opened by Pillow: only
a PNG or a JPEG is accepted, whatever its name or the type the browser gave it. It is kept at a
few widths (never wider than it came), re-encoded, which also drops what the camera wrote in it
(place, device), as `<sha256 of the upload>-<width>.<png|jpg>`: the same image uploaded twice is
the same files, and a name proves what is inside.
"""
from __future__ import annotations

import hashlib
import io
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from PIL import Image, ImageOps, UnidentifiedImageError

# Widths a page asks for (srcset): a phone, a laptop, a large screen.
WIDTHS = (480, 960, 1600)
# An image this many pixels or more is refused before it is decoded (a "decompression bomb":
# a few kilobytes that unpack to gigabytes).
MAX_PIXELS = 40_000_000
FORMATS = {"PNG": "png", "JPEG": "jpeg"}
EXTENSIONS = {"png": "png", "jpeg": "jpg"}
_NAME = re.compile(r"([0-9a-f]{64})-(\d{2,4})\.(png|jpg)")
_CHUNK_BYTES = 64 * 1024


class CoverTooLarge(Exception):
    pass


class NotAnImage(Exception):
    """Not a PNG nor a JPEG, or not an image at all."""


@dataclass(frozen=True)
class StoredCover:
    sha256: str
    format: str  # "png" or "jpeg"
    widths: tuple[int, ...]


def file_name(sha256: str, width: int, format: str) -> str:
    return f"{sha256}-{width}.{EXTENSIONS[format]}"


def read_limited(stream: BinaryIO, max_bytes: int) -> bytes:
    """At most max_bytes of the stream, or CoverTooLarge without reading further."""
    chunks, size = [], 0
    while True:
        chunk = stream.read(min(_CHUNK_BYTES, max_bytes + 1 - size))
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > max_bytes:
            raise CoverTooLarge(f"A cover may be at most {max_bytes} bytes.")
        chunks.append(chunk)


def _open(content: bytes) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(content), formats=tuple(FORMATS))
            if image.width * image.height >= MAX_PIXELS:
                raise CoverTooLarge("This image has too many pixels.")
            image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise NotAnImage("Only PNG and JPEG images are accepted.") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise CoverTooLarge("This image has too many pixels.") from None
    return image


def store_cover(stream: BinaryIO, directory: Path, max_bytes: int) -> StoredCover:
    """Check an upload and keep it at its widths; CoverTooLarge or NotAnImage leave nothing behind."""
    content = read_limited(stream, max_bytes)
    image = _open(content)
    format = FORMATS[image.format]
    # Phones write a photo sideways and say so in EXIF: turned the way it was taken.
    image = ImageOps.exif_transpose(image)
    if format == "jpeg" and image.mode != "RGB":
        image = image.convert("RGB")
    elif format == "png" and image.mode not in ("RGB", "RGBA", "L", "LA"):
        image = image.convert("RGBA")
    sha256 = hashlib.sha256(content).hexdigest()
    widths = tuple(width for width in WIDTHS if width < image.width) + (min(image.width, WIDTHS[-1]),)
    widths = tuple(sorted(set(widths)))
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for width in widths:
        target = directory / file_name(sha256, width, format)
        if target.exists():
            continue
        height = max(round(image.height * width / image.width), 1)
        resized = image if width == image.width else image.resize((width, height), Image.Resampling.LANCZOS)
        temporary = target.with_suffix(".part")
        if format == "jpeg":
            resized.save(temporary, "JPEG", quality=85, optimize=True, progressive=True)
        else:
            resized.save(temporary, "PNG", optimize=True)
        temporary.replace(target)
    return StoredCover(sha256=sha256, format=format, widths=widths)


def open_cover(directory: Path, name: str) -> tuple[BinaryIO, str]:
    """A stored cover file by its name, and its media type; FileNotFoundError for anything else."""
    # Only a name of ours may become a path: nothing like "../" gets through.
    match = _NAME.fullmatch(name or "")
    if match is None:
        raise FileNotFoundError(name)
    media_type = "image/png" if match.group(3) == "png" else "image/jpeg"
    return open(Path(directory) / name, "rb"), media_type
