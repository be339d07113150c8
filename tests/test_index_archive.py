"""The index file's arrays: written as an .npz with its big members aligned, read back equal,
the big ones mapped read-only, a changed byte or a pickle among them refused."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest

from helpline.matcher.index_archive import (
    ALIGN,
    MAPPED_BYTES,
    BadArchive,
    read_arrays,
    write_arrays,
)


def arrays() -> dict[str, np.ndarray]:
    numbers = np.random.default_rng(7)
    return {
        "small": np.arange(5, dtype=np.int64),
        "weights": numbers.random((MAPPED_BYTES // 4 // 30 + 1, 30), np.float32),
        "text": np.frombuffer(b'{"a": 1}', np.uint8),
        "offsets": numbers.integers(0, 1000, MAPPED_BYTES // 8 + 3),
    }


def written(path: Path) -> Path:
    with open(path, "wb") as file:
        write_arrays(file, arrays())
    return path


def test_arrays_read_back_equal_and_of_the_same_types(tmp_path: Path) -> None:
    found = read_arrays(written(tmp_path / "a.npz"))
    assert list(found) == list(arrays())
    for name, expected in arrays().items():
        assert found[name].dtype == expected.dtype
        np.testing.assert_array_equal(found[name], expected)


def test_the_file_is_an_npz_numpy_reads_as_its_own(tmp_path: Path) -> None:
    with np.load(written(tmp_path / "a.npz"), allow_pickle=False) as stored:
        for name, expected in arrays().items():
            np.testing.assert_array_equal(stored[name], expected)


def test_big_members_are_mapped_read_only_and_aligned(tmp_path: Path) -> None:
    found = read_arrays(written(tmp_path / "a.npz"))
    for name in ("weights", "offsets"):
        assert not found[name].flags.writeable
        assert found[name].ctypes.data % ALIGN == 0
    assert found["small"].flags.writeable  # copied, as np.load makes it


def test_a_mapped_array_outlives_its_file(tmp_path: Path) -> None:
    path = written(tmp_path / "a.npz")
    found = read_arrays(path)
    path.unlink()  # a newer index file replaces it, or the cache folder is tidied
    np.testing.assert_array_equal(found["weights"], arrays()["weights"])


def test_a_changed_byte_in_a_mapped_member_is_refused(tmp_path: Path) -> None:
    path = written(tmp_path / "a.npz")
    with zipfile.ZipFile(path) as archive:
        member = archive.getinfo("weights.npy")
    data = bytearray(path.read_bytes())
    data[member.header_offset + member.file_size // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(BadArchive, match="Bad CRC-32 for file 'weights.npy'"):
        read_arrays(path)


def test_a_big_member_of_objects_is_never_unpickled(tmp_path: Path) -> None:
    path = tmp_path / "a.npz"
    objects = np.empty(MAPPED_BYTES // 4, dtype=object)
    objects[:] = [f"word {n}" for n in range(len(objects))]  # pickled, well over MAPPED_BYTES
    np.savez(path, small=np.arange(3), objects=objects)
    with pytest.raises(BadArchive, match="allow_pickle=False"):
        read_arrays(path)
