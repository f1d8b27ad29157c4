"""Cover images: PNG and JPEG only, told by their content; a size limit read without reading past
it; a few widths, never wider than the upload; the camera's metadata dropped."""
import io

import pytest
from PIL import Image

from services.crowdfunding import covers


def picture(width, height, format="PNG", mode="RGB", **save) -> bytes:
    out = io.BytesIO()
    Image.new(mode, (width, height), (200, 30, 30) if mode == "RGB" else None).save(out, format, **save)
    return out.getvalue()


def test_a_large_jpeg_is_kept_at_three_widths(tmp_path):
    stored = covers.store_cover(io.BytesIO(picture(3000, 1500, "JPEG")), tmp_path, 5_000_000)
    assert stored.format == "jpeg" and stored.widths == (480, 960, 1600)
    for width in stored.widths:
        with Image.open(tmp_path / covers.file_name(stored.sha256, width, "jpeg")) as kept:
            assert kept.format == "JPEG" and kept.size == (width, width // 2)


def test_a_small_png_is_never_made_larger(tmp_path):
    stored = covers.store_cover(io.BytesIO(picture(700, 300, "PNG", mode="RGBA")), tmp_path, 5_000_000)
    assert stored.format == "png" and stored.widths == (480, 700)
    assert (tmp_path / f"{stored.sha256}-700.png").exists()


@pytest.mark.parametrize("content", [
    b"GIF89a" + b"\0" * 100,
    picture(100, 100, "GIF"),
    picture(100, 100, "WEBP"),
    b"%PDF-1.4 not an image",
    b"\x89PNG\r\n\x1a\n" + b"broken",  # a PNG's signature and nothing after
    b"",
])
def test_anything_but_a_png_or_a_jpeg_is_refused_by_its_content(tmp_path, content):
    with pytest.raises(covers.NotAnImage):
        covers.store_cover(io.BytesIO(content), tmp_path, 5_000_000)
    assert list(tmp_path.iterdir()) == []


class Endless(io.RawIOBase):
    """A stream that never ends: the limit must be noticed without reading it all."""

    def __init__(self):
        self.read_bytes = 0

    def readable(self):
        return True

    def read(self, size=-1):
        size = 65536 if size is None or size < 0 else size
        self.read_bytes += size
        return b"\xff" * size


def test_too_large_is_noticed_one_byte_past_the_limit(tmp_path):
    stream = Endless()
    with pytest.raises(covers.CoverTooLarge):
        covers.store_cover(stream, tmp_path, 100_000)
    assert stream.read_bytes == 100_001
    assert list(tmp_path.iterdir()) == []


def test_an_image_of_too_many_pixels_is_refused_before_it_is_decoded(tmp_path):
    # 8000 x 6000 = 48 million pixels, a few kilobytes as a PNG of one colour.
    with pytest.raises(covers.CoverTooLarge):
        covers.store_cover(io.BytesIO(picture(8000, 6000, "PNG", mode="L")), tmp_path, 5_000_000)


def test_the_cameras_metadata_is_dropped_and_the_photo_turned_upright(tmp_path):
    image = Image.new("RGB", (800, 400), (10, 10, 10))
    exif = image.getexif()
    exif[0x0112] = 6  # Orientation: the camera was turned; the picture is to be rotated 90°
    exif[0x010F] = "Camera maker"
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    stored = covers.store_cover(io.BytesIO(out.getvalue()), tmp_path, 5_000_000)
    with Image.open(tmp_path / covers.file_name(stored.sha256, stored.widths[-1], "jpeg")) as kept:
        assert kept.size == (400, 800)
        assert not kept.getexif()


def test_only_our_own_names_open(tmp_path):
    for name in ("../secret.png", "a" * 64 + "-480.gif", "x.png", ""):
        with pytest.raises(FileNotFoundError):
            covers.open_cover(tmp_path, name)
