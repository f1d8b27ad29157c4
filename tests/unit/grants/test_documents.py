import hashlib
import io
import struct
import zlib

import pytest

from shared.core.refusal import Refusal

from services.grants.documents import (
    MAX_DOCUMENT_BYTES_DEFAULT,
    DocumentTooLarge,
    NotAPdf,
    StoredFile,
    open_stored,
    store_pdf,
)
from tests.pdf import small_pdf


def png() -> bytes:
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"\x00\x00")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


@pytest.fixture
def store(tmp_path):
    directory = tmp_path / "documents"
    directory.mkdir()
    return directory


def write(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    return path


def test_a_real_pdf_is_stored_under_its_sha256(tmp_path, store):
    content = small_pdf()
    upload = write(tmp_path, "budget.pdf", content)
    with upload.open("rb") as stream:
        stored = store_pdf(stream, store, MAX_DOCUMENT_BYTES_DEFAULT)
    expected = hashlib.sha256(content).hexdigest()
    assert stored == StoredFile(path=store / f"{expected}.pdf", sha256=expected, size=len(content))
    assert stored.path.read_bytes() == content
    assert [p.name for p in store.iterdir()] == [f"{expected}.pdf"]
    with open_stored(store, expected) as reopened:
        assert reopened.read() == content


def test_the_same_content_stored_twice_is_one_file(tmp_path, store):
    upload = write(tmp_path, "budget.pdf", small_pdf())
    with upload.open("rb") as stream:
        first = store_pdf(stream, store, MAX_DOCUMENT_BYTES_DEFAULT)
    with upload.open("rb") as stream:
        second = store_pdf(stream, store, MAX_DOCUMENT_BYTES_DEFAULT)
    assert first == second
    assert len(list(store.iterdir())) == 1


def test_an_upload_one_byte_over_the_limit_is_refused_and_leaves_nothing(tmp_path, store):
    pdf = small_pdf()
    padding = b"\n" * (MAX_DOCUMENT_BYTES_DEFAULT + 1 - len(pdf))
    upload = write(tmp_path, "big.pdf", pdf[:-6] + padding + pdf[-6:])
    assert upload.stat().st_size == MAX_DOCUMENT_BYTES_DEFAULT + 1
    with upload.open("rb") as stream, pytest.raises(DocumentTooLarge):
        store_pdf(stream, store, MAX_DOCUMENT_BYTES_DEFAULT)
    assert list(store.iterdir()) == []


def test_an_oversized_upload_is_not_read_past_the_limit(tmp_path, store):
    upload = write(tmp_path, "huge.pdf", b"%PDF-1.4\n" + b"0" * 1_000_000)
    with upload.open("rb") as stream:
        with pytest.raises(DocumentTooLarge):
            store_pdf(stream, store, 10_000)
        assert stream.tell() == 10_001
    assert list(store.iterdir()) == []


def test_an_upload_exactly_at_the_limit_is_accepted(tmp_path, store):
    content = small_pdf()
    stored = store_pdf(io.BytesIO(content), store, len(content))
    assert stored.size == len(content)


def test_a_png_named_pdf_is_refused(tmp_path, store):
    upload = write(tmp_path, "poster.pdf", png())
    with upload.open("rb") as stream, pytest.raises(NotAPdf):
        store_pdf(stream, store, MAX_DOCUMENT_BYTES_DEFAULT)
    assert list(store.iterdir()) == []


def test_a_large_non_pdf_is_refused_after_its_first_kilobyte(tmp_path, store):
    upload = write(tmp_path, "video.pdf", b"\x00" * 500_000)
    with upload.open("rb") as stream:
        with pytest.raises(NotAPdf):
            store_pdf(stream, store, MAX_DOCUMENT_BYTES_DEFAULT)
        assert stream.tell() < 500_000
    assert list(store.iterdir()) == []


def test_junk_before_the_header_is_tolerated_within_the_first_kilobyte(store):
    content = b"x" * 1000 + small_pdf()
    stored = store_pdf(io.BytesIO(content), store, MAX_DOCUMENT_BYTES_DEFAULT)
    assert stored.sha256 == hashlib.sha256(content).hexdigest()


def test_a_header_after_the_first_kilobyte_is_refused(store):
    with pytest.raises(NotAPdf):
        store_pdf(io.BytesIO(b"x" * 1024 + small_pdf()), store, MAX_DOCUMENT_BYTES_DEFAULT)
    assert list(store.iterdir()) == []


def test_a_pdf_without_end_marker_is_refused(store):
    truncated = small_pdf().replace(b"%%EOF", b"")
    with pytest.raises(NotAPdf):
        store_pdf(io.BytesIO(truncated), store, MAX_DOCUMENT_BYTES_DEFAULT)
    far_from_the_end = small_pdf() + b" " * 2000
    with pytest.raises(NotAPdf):
        store_pdf(io.BytesIO(far_from_the_end), store, MAX_DOCUMENT_BYTES_DEFAULT)
    assert list(store.iterdir()) == []


def test_an_empty_upload_is_refused(store):
    with pytest.raises(NotAPdf):
        store_pdf(io.BytesIO(b""), store, MAX_DOCUMENT_BYTES_DEFAULT)
    assert list(store.iterdir()) == []


@pytest.mark.parametrize(
    "name",
    ["../../etc/passwd", "a" * 63, "a" * 65, "A" * 64, "g" * 64, "a" * 64 + "\n", "", "/" + "a" * 63],
)
def test_open_stored_refuses_anything_but_a_sha256(store, name):
    with pytest.raises(ValueError):
        open_stored(store, name)


def test_open_stored_of_a_document_no_longer_on_disk_is_a_410(store):
    with pytest.raises(Refusal) as refused:
        open_stored(store, "0" * 64)
    assert refused.value.status == 410
