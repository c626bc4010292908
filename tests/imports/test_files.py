"""Opening export files: gzip told by its bytes, and decompression bombs refused early."""

from __future__ import annotations

import gzip

import pytest

from kommentar.imports.files import open_binary, open_text
from kommentar.imports.records import Malformed


def test_plain_and_gzipped_files_read_the_same(tmp_path):
    text = "line one\nline two ÆØÅ\n" * 1000
    (tmp_path / "plain.jsonl").write_text(text, encoding="utf-8")
    (tmp_path / "packed.bin").write_bytes(gzip.compress(text.encode()))
    for name in ("plain.jsonl", "packed.bin"):
        with open_text(tmp_path / name) as stream:
            assert stream.read() == text


def test_a_gzip_bomb_is_refused_once_it_passes_the_limit(tmp_path):
    bomb = tmp_path / "bomb.gz"
    with gzip.open(bomb, "wb", compresslevel=9) as out:
        for _ in range(200):  # 200 MB of zeros in about 200 KB
            out.write(b"\0" * 1024 * 1024)
    assert bomb.stat().st_size < 1024 * 1024
    read = 0
    with pytest.raises(Malformed, match="decompression bomb"), open_binary(bomb) as stream:
        while chunk := stream.read(1024 * 1024):
            read += len(chunk)
    assert read <= 64 * 1024 * 1024 + 2 * 1024 * 1024  # stopped near the floor, not at 200 MB


def test_damaged_gzip_data_is_malformed(tmp_path):
    packed = gzip.compress(b"x" * 100_000)
    (tmp_path / "cut.gz").write_bytes(packed[:len(packed) // 2])
    with pytest.raises(Malformed, match="damaged"), open_binary(tmp_path / "cut.gz") as stream:
        stream.read()
