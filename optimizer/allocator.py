"""The C allocator's view of the process: what it holds, and handing free memory back.

glibc only (through ctypes); on any other C library every function here is a no-op and the
stats are ``None``. Nothing here changes what the engine computes.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import re
from dataclasses import dataclass


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena",  # bytes from sbrk/heaps of all arenas (not mmapped blocks)
            "ordblks",
            "smblks",
            "hblks",
            "hblkhd",  # bytes in mmapped blocks
            "usmblks",
            "fsmblks",
            "uordblks",  # bytes in use (arenas)
            "fordblks",  # bytes free inside the arenas
            "keepcost",
        )
    ]


def _glibc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        libc = ctypes.CDLL(name)
        libc.mallinfo2.restype = _MallInfo2
        libc.malloc_trim.argtypes = [ctypes.c_size_t]
        libc.malloc_trim.restype = ctypes.c_int
        libc.malloc_info.argtypes = [ctypes.c_int, ctypes.c_void_p]
        libc.open_memstream.argtypes = [
            ctypes.POINTER(ctypes.c_void_p),
            ctypes.POINTER(ctypes.c_size_t),
        ]
        libc.open_memstream.restype = ctypes.c_void_p
        libc.fclose.argtypes = [ctypes.c_void_p]
        libc.free.argtypes = [ctypes.c_void_p]
    except (OSError, AttributeError):  # not glibc (musl, macOS): no such functions
        return None
    return libc


_LIBC = _glibc()


@dataclass(frozen=True)
class HeapStats:
    in_use_mb: float  # handed out by malloc and not freed (arenas + mmapped blocks)
    free_mb: float  # free, but kept inside the arenas (not returned to the OS)
    mmapped_mb: float  # large blocks, mmapped one by one (returned on free)
    arenas: int  # main arena + one per thread group that allocated concurrently


def available() -> bool:
    return _LIBC is not None


def _arena_count(libc: ctypes.CDLL) -> int:
    buf = ctypes.c_void_p()
    size = ctypes.c_size_t()
    fp = libc.open_memstream(ctypes.byref(buf), ctypes.byref(size))
    if not fp:
        return 0
    libc.malloc_info(0, fp)
    libc.fclose(fp)
    if not buf.value:
        return 0
    text = ctypes.string_at(buf.value, size.value).decode()
    libc.free(buf)
    return len(re.findall(r'<heap nr="\d+">', text))


def stats() -> HeapStats | None:
    """The allocator's totals over all arenas, or None off glibc."""
    if _LIBC is None:
        return None
    mi = _LIBC.mallinfo2()
    mb = 2.0**20
    return HeapStats(
        in_use_mb=(mi.uordblks + mi.hblkhd) / mb,
        free_mb=mi.fordblks / mb,
        mmapped_mb=mi.hblkhd / mb,
        arenas=_arena_count(_LIBC),
    )


def trim() -> bool:
    """Hand the free pages of every arena back to the OS (``malloc_trim(0)``); True if
    any memory was released. A no-op (False) off glibc."""
    if _LIBC is None:
        return False
    return bool(_LIBC.malloc_trim(0))
