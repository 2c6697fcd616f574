"""Packed open-addressing hash tables for the compiled kernels.

Each slot is one int64, ``key << 20 | value`` (-1 when empty), so a probe touches one
cache line; keys up to 43 bits, values up to 20. Used by the scoring kernel
(:mod:`policytag.kernel.score`: n-grams, word pairs, cue groups) and the segmenter
(:mod:`policytag.kernel.cut`: the dictionary trie).
"""
from __future__ import annotations

from typing import Optional

import numba as nb
import numpy as np
from llvmlite import ir
from numba.core import cgutils, types
from numba.extending import intrinsic

MULT = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing multiplier


@intrinsic
def prefetch(typingctx, arr, i):  # type: ignore[no-untyped-def]
    """Ask the CPU to start loading ``arr[i]`` (the start of row ``i`` of a 2-D array):
    LLVM's prefetch, which has no result and never faults, so the cache miss overlaps
    other work instead of stalling the instruction that needs the value."""
    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        aryty = signature.args[0]
        ary = context.make_array(aryty)(context, builder, args[0])
        zero = context.get_constant(types.intp, 0)
        index = [args[1]] + [zero] * (aryty.ndim - 1)
        ptr = cgutils.get_item_pointer(context, builder, aryty, ary, index, wraparound=False)
        i8p = ir.IntType(8).as_pointer()
        fnty = ir.FunctionType(ir.VoidType(), [i8p, ir.IntType(32), ir.IntType(32), ir.IntType(32)])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch.p0")
        i32 = ir.IntType(32)
        builder.call(fn, [builder.bitcast(ptr, i8p), i32(0), i32(3), i32(1)])
        return context.get_dummy_value()

    return types.void(arr, i), codegen


@nb.njit(cache=True, nogil=True, _nrt=False)
def find(table: np.ndarray, key: int, shift: np.uint64) -> int:
    """The value stored under ``key`` in a packed table, or -1.

    The table's load is at most 1/2, and it is small enough to stay in the core's L2
    cache for the model's tables."""
    mask = len(table) - 1
    s = np.int64((np.uint64(key) * MULT) >> shift)
    while True:
        e = table[s]
        if e == -1:
            return -1
        if (e >> 20) == key:
            return e & 0xFFFFF
        s = (s + 1) & mask


@nb.njit(cache=True)
def _build(keys: np.ndarray, vals: np.ndarray, logsize: int) -> np.ndarray:
    size = 1 << logsize
    table = np.full(size, -1, np.int64)
    shift = np.uint64(64 - logsize)
    mask = size - 1
    for i in range(len(keys)):
        s = np.int64((np.uint64(keys[i]) * MULT) >> shift)
        while table[s] != -1 and (table[s] >> 20) != keys[i]:
            s = (s + 1) & mask
        table[s] = (keys[i] << 20) | vals[i]
    return table


@nb.njit(cache=True)
def rehash(table: np.ndarray, logsize: int) -> np.ndarray:
    """The entries of a packed table in a table of ``2 ** logsize`` slots (for a table
    first sized by an upper bound on its keys)."""
    size = 1 << logsize
    out = np.full(size, -1, np.int64)
    shift = np.uint64(64 - logsize)
    mask = size - 1
    for e in table:
        if e == -1:
            continue
        s = np.int64((np.uint64(e >> 20) * MULT) >> shift)
        while out[s] != -1:
            s = (s + 1) & mask
        out[s] = e
    return out


def log_size(n: int) -> int:
    """log2 of the table size that keeps ``n`` keys at a load of at most 1/2."""
    return max(4, int(2 * max(n, 1) - 1).bit_length())


def hash_table(keys: np.ndarray, vals: np.ndarray) -> Optional[tuple[np.ndarray, np.uint64]]:
    """A packed table of ``keys`` → ``vals`` and the shift its hash uses; None when a
    key needs more than 43 bits or a value more than 20."""
    keys = np.ascontiguousarray(keys, dtype=np.int64)
    vals = np.ascontiguousarray(vals, dtype=np.int64)
    if len(keys) and (keys.min() < 0 or keys.max() >= 1 << 43 or vals.min() < 0 or vals.max() >= 1 << 20):
        return None
    logsize = log_size(len(keys))
    return _build(keys, vals, logsize), np.uint64(64 - logsize)
