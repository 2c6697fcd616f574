"""Text encodings: which one a file is in, and reading it line by line with byte offsets.

Chinese documents come as UTF-8 (with or without a byte-order mark), UTF-16 (Windows
"Unicode" text), GB18030/GBK/GB2312 (mainland) and Big5 (Hong Kong, Taiwan). The
detection order is:

1. a byte-order mark (UTF-8, UTF-16, UTF-32) — certain;
2. BOM-less UTF-16: code units that are almost all CJK, ASCII and CJK punctuation
   when read as UTF-16-LE (or -BE), and not when read the other way, with the byte
   patterns GB18030 and Big5 cannot make (see :func:`_utf16_without_bom`);
3. strict UTF-8: Chinese text in a legacy encoding is practically never valid UTF-8;
4. chardet, told the candidates (UTF-8, UTF-16, GB18030, Big5). chardet was chosen by
   measurement (bench/encoding_detectors.py, docs/input-files.md): on 16-character
   titles, paragraphs and pages of the corpus it named GB18030 and Big5 right in
   every sample, where charset-normalizer missed 9–17% of titles and cChardet and
   faust-cChardet up to 25% (GB18030 read as Big5).

A GB-family guess decodes as GB18030 (a superset of GBK and GB2312); a Big5 guess as
cp950 (Big5 with the Windows extensions), or Big5-HKSCS when only that decodes. When
the sample decodes both ways, the reading whose characters are common ones wins
(:func:`_common_share`); that settles the short texts chardet 5 (which the docs
extra's readability-lxml pins) gets wrong.
"""
from __future__ import annotations

import codecs
import io
import re
from dataclasses import dataclass
from typing import IO, Iterator, Optional

from ..text.unicode import CJK_EXT_A, CJK_PUNCT, CJK_SPAN, CJK_UNIFIED, FULL_HALF_WIDTH, char_class

AUTO = "auto"
SAMPLE_BYTES = 64 * 1024

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_GB = {"gb2312", "gbk", "gb18030", "cp936", "x-gbk", "euc-cn", "hz"}
_BIG5 = {"big5", "big5hkscs", "big5-hkscs", "cp950", "x-x-big5"}
_CANDIDATES = ("utf-8", "utf-16-le", "utf-16-be", "gb18030", "big5")
_PLAUSIBLE = re.compile("[\t\n\r" + char_class(((0x20, 0x7E), CJK_PUNCT, CJK_EXT_A, CJK_UNIFIED, FULL_HALF_WIDTH, (0x2010, 0x203F)))
                        + "]")
_SPAN_LO, _SPAN_HI = map(chr, CJK_SPAN)  # as characters: compared inline in the loops below
_HAN_LO, _HAN_HI = map(chr, CJK_UNIFIED)


@dataclass(frozen=True)
class Encoding:
    """A decided encoding: the Python codec, how many BOM bytes to skip, and how it was found."""

    codec: str
    bom: int = 0
    how: str = "given"  # given | bom | utf-16 | utf-8 | detected

    @property
    def label(self) -> str:
        """The name used in messages: ``gb18030 (detected)``."""
        return self.codec if self.how == "given" else f"{self.codec} (detected)"


def check_encoding(name: str) -> str:
    """Return ``name`` if it is ``auto`` or a known codec, else raise E032."""
    from ..errors import PolicytagError

    if name.lower() == AUTO:
        return AUTO
    try:
        codecs.lookup(name)
    except LookupError:
        raise PolicytagError("E032", name=name) from None
    return name


def _decodes(data: bytes, codec: str) -> bool:
    """True when ``data`` decodes, allowing a character cut off at the end of the sample."""
    try:
        codecs.getincrementaldecoder(codec)().decode(data, final=False)
        return True
    except (UnicodeDecodeError, LookupError):
        return False


def _plausible_share(text: str) -> float:
    return len(_PLAUSIBLE.findall(text)) / max(len(text), 1)


def _utf16_without_bom(sample: bytes) -> Optional[str]:
    """UTF-16-LE or -BE when the sample reads as plausible Chinese one way and not the other.

    GB18030 and Big5 pairs can read as CJK code units too (a Big5 trail byte 0x40–0x7E
    makes a unit in U+4000–U+7EFF), but their lead byte is ≥ 0x81, so the low byte of
    every such unit is ≥ 0x81; in real UTF-16 Chinese a quarter of the characters have
    a low byte below 0x40. Text with ASCII in it also has NUL bytes, which no other
    candidate encoding produces.
    """
    if len(sample) < 4:
        return None
    even_bytes = sample[: len(sample) // 2 * 2]
    shares = {}
    for codec in ("utf-16-le", "utf-16-be"):
        try:
            text = even_bytes.decode(codec, errors="strict")
        except UnicodeDecodeError:
            shares[codec] = 0.0
            continue
        cjk = [ord(ch) & 0xFF for ch in text if _SPAN_LO <= ch <= _SPAN_HI]
        low = sum(1 for b in cjk if b < 0x40) / max(len(cjk), 1)
        nul = b"\x00" in sample
        # ASCII read in the wrong byte order lands in the CJK block as U+xx00 ('a' → U+6100)
        zero = sum(1 for ch in text if _SPAN_LO <= ch <= _SPAN_HI and not ord(ch) & 0xFF)
        shares[codec] = _plausible_share(text) - zero / max(len(text), 1) if (nul or (len(cjk) >= 4 and low >= 0.08)) else 0.0
    best = max(shares, key=lambda c: shares[c])
    other = "utf-16-be" if best == "utf-16-le" else "utf-16-le"
    if shares[best] >= 0.9 and shares[other] <= shares[best] - 0.25:
        return best
    return None


def _family(name: Optional[str]) -> Optional[str]:
    if not name:
        return None
    n = name.lower().replace("_", "-")
    if n in _GB:
        return "gb18030"
    if n in _BIG5:
        return "big5"
    if n.startswith("utf-16"):
        return n if n in ("utf-16-le", "utf-16-be") else "utf-16-le"
    if n in ("utf-8", "ascii"):
        return "utf-8"
    return None


def family_codec(name: Optional[str]) -> Optional[str]:
    """The codec to read a declared charset with (an HTML ``<meta charset>``): GB names
    read as GB18030 and Big5 names as cp950, as browsers do; None for unknown names."""
    family = _family(name)
    if family == "big5":
        return "cp950"
    if family:
        return family
    if not name:
        return None
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _big5_codec(sample: bytes) -> str:
    for codec in ("cp950", "big5hkscs"):
        if _decodes(sample, codec):
            return codec
    return "cp950"


def _chardet_guess(sample: bytes) -> Optional[str]:
    """chardet's guess among the Chinese candidates (chardet ≥ 7 is told them; older
    chardet ranks every encoding and the first candidate family is taken)."""
    import warnings

    import chardet

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return chardet.detect(sample, include_encodings=_CANDIDATES, no_match_encoding="gb18030")["encoding"]
        except TypeError:  # chardet < 7 (readability-lxml, in the docs extra, pins chardet < 6)
            for guess in chardet.detect_all(sample, ignore_threshold=True):
                if _family(guess["encoding"]) in ("gb18030", "big5"):
                    return guess["encoding"]
            return None


def detect(sample: bytes) -> Encoding:
    """The encoding of a file from its first bytes (see the module docstring for the order)."""
    for bom, codec in _BOMS:
        if sample.startswith(bom):
            return Encoding(codec, len(bom), "bom")
    if not _decodes(sample, "utf-8"):
        utf16 = _utf16_without_bom(sample)
        if utf16:
            return Encoding(utf16, 0, "utf-16")
    if _decodes(sample, "utf-8") or _mostly_utf8(sample):
        return Encoding("utf-8", 0, "utf-8")
    guess = _chardet_guess(sample[:SAMPLE_BYTES])
    family = _family(guess) or "gb18030"
    big5 = _big5_codec(sample)
    fits = {"gb18030": _decodes(sample, "gb18030"), "big5": _decodes(sample, big5)}
    if fits["gb18030"] and fits["big5"]:  # both decode: the reading with common characters wins
        scores = {fam: _common_share(sample, codec) for fam, codec in (("gb18030", "gb18030"), ("big5", big5))}
        if abs(scores["gb18030"] - scores["big5"]) > 0.1:
            family = max(scores, key=lambda f: scores[f])
    elif fits["gb18030"] or fits["big5"]:
        family = "gb18030" if fits["gb18030"] else "big5"
    return Encoding(big5 if family == "big5" else "gb18030", 0, "detected")


def _mostly_utf8(sample: bytes) -> bool:
    """True when most non-ASCII lines are valid UTF-8: a UTF-8 file with a few lines in
    another encoding pasted in. Read as UTF-8, only those lines are lost (E003 each);
    read as GB18030, every UTF-8 line would silently turn into mojibake. A real GBK
    or Big5 file almost never has a non-ASCII line that is also valid UTF-8."""
    lines = [line for line in sample.split(b"\n")[:-1] if not line.isascii()]
    if len(lines) < 2:
        return False
    valid = sum(1 for line in lines if _decodes(line, "utf-8"))
    return valid * 2 > len(lines)


def _common_share(sample: bytes, codec: str) -> float:
    """Share of the Chinese characters of a reading that are among the 3,755 most common
    (GB2312 level 1) once in simplified script: near 1 for the right reading, low for
    the mojibake of the wrong one."""
    from ..text.normalize import _t2s

    text = sample[:4096].decode(codec, errors="ignore")
    cjk = [ch for ch in _t2s(text) if _HAN_LO <= ch <= _HAN_HI]
    if not cjk:
        return 0.0
    common = 0
    for ch in cjk:
        try:
            common += 0xB0 <= ch.encode("gb2312")[0] <= 0xD7
        except UnicodeEncodeError:
            pass
    return common / len(cjk)


def resolve(sample: bytes, encoding: str) -> Encoding:
    """The encoding to read with: detected when ``encoding`` is ``auto``, else the one given.

    A given Unicode encoding still skips its own byte-order mark, and plain ``utf-16``
    or ``utf-32`` takes the byte order from the mark (little-endian without one, as
    Windows writes).
    """
    if encoding.lower() == AUTO:
        return detect(sample)
    name = codecs.lookup(encoding).name
    if name in ("utf-8", "utf-8-sig"):
        return Encoding("utf-8", 3 if sample.startswith(codecs.BOM_UTF8) else 0)
    for family in ("utf-16", "utf-32"):
        if name.startswith(family):
            for bom, codec in _BOMS:
                if codec.startswith(family) and sample.startswith(bom) and name in (family, codec):
                    return Encoding(codec, len(bom))
            return Encoding(family + "-le" if name == family else name)
    return Encoding(encoding)


class _Prefixed(io.RawIOBase):
    """A raw stream that serves ``prefix`` first, then the rest of ``fh``."""

    def __init__(self, prefix: bytes, fh: IO[bytes]) -> None:
        self._prefix = memoryview(prefix)
        self._fh = fh

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        if self._prefix:
            n = min(len(buffer), len(self._prefix))
            buffer[:n] = self._prefix[:n]
            self._prefix = self._prefix[n:]
            return n
        data = self._fh.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        return n


def _unit_lines(stream: IO[bytes], newline: bytes) -> Iterator[bytes]:
    """Lines of a stream whose newline is a multi-byte code unit (UTF-16/32), aligned."""
    unit = len(newline)
    buf = b""
    while True:
        chunk = stream.read(1 << 16)
        buf += chunk
        start = 0
        while True:
            i = buf.find(newline, start)
            while i != -1 and i % unit:
                i = buf.find(newline, i + 1)
            if i == -1:
                break
            yield buf[start: i + unit]
            start = i + unit
        buf = buf[start:]
        if not chunk:
            if buf:
                yield buf
            return


def raw_lines(fh: IO[bytes], encoding: str) -> tuple[Encoding, Iterator[bytes]]:
    """Decide the encoding from the first bytes of ``fh``, and iterate its raw lines.

    Each raw line keeps its line end; the first one still starts with the BOM (its
    length is :attr:`Encoding.bom`), so byte offsets count from the start of the file.
    A pipe (stdin) is sampled from what has arrived, without waiting for the full
    sample, so a stream that is still being written is tagged as it comes.
    """
    if _seekable(fh) or not hasattr(fh, "read1"):
        sample = fh.read(SAMPLE_BYTES)
    else:
        sample = fh.read1(SAMPLE_BYTES)
    enc = resolve(sample, encoding)
    stream = io.BufferedReader(_Prefixed(sample, fh), buffer_size=1 << 16)
    if enc.codec.startswith(("utf-16", "utf-32")):
        return enc, _unit_lines(stream, "\n".encode(enc.codec))
    return enc, iter(stream)


def _seekable(fh: IO[bytes]) -> bool:
    try:
        return bool(fh.seekable())
    except (OSError, ValueError):
        return False


def decode_all(data: bytes, encoding: str, *, max_reports: int = 1000) -> tuple[str, Encoding, list[int]]:
    """Decode a whole document (HTML): the text, the encoding, and the byte offsets of
    undecodable bytes (each run replaced by U+FFFD; after ``max_reports`` the rest of the
    document is decoded with replacement and not located further)."""
    enc = resolve(data[:SAMPLE_BYTES], encoding)
    pieces: list[str] = []
    bad: list[int] = []
    pos = enc.bom
    while True:
        try:
            pieces.append(data[pos:].decode(enc.codec))
            break
        except UnicodeDecodeError as exc:
            pieces.append(data[pos: pos + exc.start].decode(enc.codec, errors="replace"))
            pieces.append("\ufffd")
            bad.append(pos + exc.start)
            pos += max(exc.end, exc.start + 1)
            if len(bad) >= max_reports:
                pieces.append(data[pos:].decode(enc.codec, errors="replace"))
                break
    return "".join(pieces), enc, bad
