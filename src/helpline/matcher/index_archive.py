"""The index file's arrays as a zip of uncompressed .npy members (an .npz), the big ones
read in place from a memory map instead of copied.

At 50,000 examples the classifier's weights are 110 MB of the file's 144: np.load copies
every member into fresh memory (0.2-0.45 s of a restart, and a copy per worker), where a
map of the file costs nothing until a message reads a row, and the page cache holds one
copy for every process. So each big member's data starts on a 64-byte boundary (padding
in its zip header's extra field: numpy reads aligned float32 fastest), and is checked
against its CRC-32 as zipfile would (a changed byte among the numbers is found too: 0.06 s
at 110 MB, against the copy's 0.3). The rest is read by np.load, never with pickles.
"""

from __future__ import annotations

import io
import mmap
import struct
import zipfile
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import IO

import numpy as np

# Members at least this big are mapped, not copied (the classifier's weights, the examples'
# meanings); the small ones are not worth a page each.
MAPPED_BYTES = 1 << 20
ALIGN = 64
_LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature, then the name's and the extra's length
_PADDING_ID = 0x6C68  # an extra field readers skip: "hl", this code's own


class BadArchive(ValueError):
    """The file is not an archive of arrays as written here."""


def write_arrays(file: IO[bytes], arrays: Mapping[str, np.ndarray]) -> None:
    """As np.savez(file, **arrays), each member's data aligned to ALIGN bytes."""
    with zipfile.ZipFile(file, "w", zipfile.ZIP_STORED) as archive:
        for name, array in arrays.items():
            npy = io.BytesIO()
            np.lib.format.write_array(npy, np.ascontiguousarray(array), allow_pickle=False)
            data = npy.getbuffer()
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            start = file.tell() + _LOCAL_HEADER.size + len(info.filename.encode()) + 4
            pad = -(start + _header_length(data)) % ALIGN
            info.extra = struct.pack("<HH", _PADDING_ID, pad) + bytes(pad)
            with archive.open(info, "w") as member:
                member.write(data)


def read_arrays(path: Path) -> dict[str, np.ndarray]:
    """Every member by name (without .npy); the big ones are read-only views of a map of
    the file, which stays valid when the file is replaced or deleted."""
    with open(path, "rb") as file:
        with zipfile.ZipFile(file) as archive:
            infos = archive.infolist()
        whole = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
        file.seek(0)
        with np.load(file, allow_pickle=False) as stored:
            return {
                info.filename.removesuffix(".npy"): _mapped(whole, info)
                if _mappable(info)
                else stored[info.filename.removesuffix(".npy")]
                for info in infos
            }


def _mappable(info: zipfile.ZipInfo) -> bool:
    return (
        info.compress_type == zipfile.ZIP_STORED
        and info.file_size >= MAPPED_BYTES
        and info.filename.endswith(".npy")
    )


def _mapped(whole: mmap.mmap, info: zipfile.ZipInfo) -> np.ndarray:
    """The member's array, a view of the map, once its CRC-32 and header are checked."""
    local = whole[info.header_offset : info.header_offset + _LOCAL_HEADER.size]
    if len(local) != _LOCAL_HEADER.size:
        raise BadArchive(f"{info.filename}: cut short")
    signature, name_length, extra_length = _LOCAL_HEADER.unpack(local)
    start = info.header_offset + _LOCAL_HEADER.size + name_length + extra_length
    end = start + info.file_size
    if signature != b"PK\x03\x04" or end > len(whole):
        raise BadArchive(f"{info.filename}: not where the zip says")
    with memoryview(whole) as view:
        if zlib.crc32(view[start:end]) != info.CRC:
            raise BadArchive(f"Bad CRC-32 for file {info.filename!r}")
        header = io.BytesIO(view[start : min(end, start + 65536)])
    version = np.lib.format.read_magic(header)
    if version not in ((1, 0), (2, 0)):
        raise BadArchive(f"{info.filename}: .npy version {version}")
    read_header = (
        np.lib.format.read_array_header_1_0
        if version == (1, 0)
        else np.lib.format.read_array_header_2_0
    )
    shape, fortran, dtype = read_header(header)
    if dtype.hasobject:
        raise BadArchive(f"{info.filename}: objects, never read (allow_pickle=False)")
    count = int(np.prod(shape))
    if fortran or header.tell() + count * dtype.itemsize != info.file_size:
        raise BadArchive(f"{info.filename}: not a plain array of its shape")
    return np.frombuffer(whole, dtype, count, start + header.tell()).reshape(shape)


def _header_length(npy: memoryview) -> int:
    """The length of a .npy file's header (magic, version, header dictionary)."""
    header = io.BytesIO(npy[:65536])
    version = np.lib.format.read_magic(header)
    if version == (1, 0):
        np.lib.format.read_array_header_1_0(header)
    else:
        np.lib.format.read_array_header_2_0(header)
    return header.tell()
