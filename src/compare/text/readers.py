"""Decode one raw plan file (``.txt`` in any common Chinese encoding, ``.html``, ``.docx``, ``.pdf``) to text.

:func:`read_document` reads the file's bytes once, never writes anything, and returns a :class:`RawDocument`
with the decoded text (line endings normalised to ``\\n``), the format, the encoding used and the SHA-256 of
the raw bytes. Every failure is an :class:`~compare.core.errors.InputError` naming the file and the problem.

Encoding detection for ``.txt`` (and ``.html`` without a usable ``<meta charset>``) is done, not assumed:

1. a byte-order mark decides (UTF-8 BOM, UTF-16/32 BOM);
2. strict UTF-8;
3. otherwise every candidate that decodes strictly — GB18030 (a superset of GBK/GB2312), Big5, UTF-16 without
   BOM, and charset-normalizer's guesses restricted to those encodings — is scored by how plausible its
   non-ASCII characters are as Chinese text (share of *common* characters: GB2312 level 1 ∪ Big5 frequent
   characters, plus punctuation). This settles the classic trap where Big5 bytes decode without error as
   GB18030 into garbage (``烈カ跋チ現┎…``): the garbage scores about 0.4, the right decoding about 1.0.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from compare.core.errors import InputError

#: File extensions the readers understand, and the format name each one maps to.
SUPPORTED_EXTENSIONS: dict[str, str] = {
    ".txt": "txt",
    ".html": "html",
    ".htm": "html",
    ".docx": "docx",
    ".pdf": "pdf",
}

#: Document types a raw folder may hold that the readers cannot read: discovered anyway, so each one fails
#: with a clear message instead of being left out without a word.
UNREADABLE_EXTENSIONS: tuple[str, ...] = (
    ".doc", ".docm", ".dot", ".wps", ".rtf", ".odt", ".xls", ".xlsx", ".et", ".ods", ".ppt", ".pptx",
    ".ofd", ".caj", ".pages", ".epub",
)  # fmt: skip

#: Encodings considered when a text file is not UTF-8 and has no byte-order mark (charset-normalizer is
#: restricted to these; unrestricted it guesses cp949/Big5/UTF-16-BE on short Chinese snippets).
CANDIDATE_ENCODINGS: tuple[str, ...] = ("utf_8", "gb18030", "big5", "utf_16_le", "utf_16_be")

#: Smallest share of plausible non-ASCII characters for a decoding to be accepted.
MIN_PLAUSIBILITY = 0.8
#: Largest share of control characters (other than tab, newline, form feed …) in a text file.
MAX_CONTROL_SHARE = 0.01
#: A text file may hold this many stray control characters whatever its length (NULs of a bad copy).
MAX_STRAY_CONTROLS = 8

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

#: Signatures of binary formats that are sometimes saved under a wrong extension.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "a PDF file (rename it to .pdf)"),
    (b"PK\x03\x04", "a zip archive, e.g. a .docx (rename it to .docx if it is a Word document)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Word .doc / Excel .xls file (save it as .docx or .txt)"),
    (b"{\\rtf", "an RTF file (save it as .docx or .txt)"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
)

#: An OLE compound file (old .doc/.xls, and the container Office puts encrypted .docx files in).
_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
#: The stream name (UTF-16LE) of the encrypted document inside such a container.
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")

_GB_ALIASES = {"gb2312", "gbk", "x-gbk", "cp936", "ms936", "euc-cn", "gb_2312-80", "csgb2312", "x-euc-cn"}
_BIG5_ALIASES = {"big5", "x-x-big5", "cp950", "ms950", "big5-hkscs", "csbig5"}

#: Control characters that do not occur in text files (tab, line feed, form feed, CR and NEL are allowed).
RE_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]")
RE_NEWLINES = re.compile(r"\r\n?|[\u2028\u2029\x85]")
RE_META_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
RE_XML_ENCODING = re.compile(rb"""<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
RE_HTML_SPACE = re.compile(r"[ \t\n\r\f\v\xa0]+")
RE_NAV_TOKEN = re.compile(r"^(?:nav\w*|\w*nav|menu\w*|\w*menu|\w*crumbs?|bread\w*|dqwz)$", re.IGNORECASE)
#: A line break in the HTML source between two wide (CJK) characters is dropped, not rendered as a space
#: (CSS Text 3 segment-break rule), so "现代化，\n制定" stays "现代化，制定".
RE_CJK_SEGMENT_BREAK = re.compile(
    r"(?<=[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef])[ \t\r\f\v]*\n\s*(?=[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef])"
)
RE_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
RE_CLASS_SPLIT = re.compile(r"[\s_\-]+")

_HTML_DROP = frozenset({"script", "style", "nav", "noscript", "iframe", "template", "svg", "object", "embed"})
#: Page header/footer are chrome, but an <article>'s own <header> holds its title and is kept.
_HTML_PAGE_CHROME = frozenset({"header", "footer"})
_HTML_BLOCK = frozenset(
    {
        "address", "article", "aside", "blockquote", "body", "caption", "center", "dd", "details", "dialog",
        "div", "dl", "dt", "fieldset", "figcaption", "figure", "form", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
        "html", "legend", "li", "main", "ol", "p", "pre", "section", "summary", "table", "tbody", "tfoot",
        "thead", "tr", "td", "th", "ul",
    }
)  # fmt: skip


@dataclass(frozen=True)
class RawDocument:
    """A decoded raw file.

    Attributes:
        text: Decoded text with line endings normalised to ``\\n`` (no other change).
        format: ``"txt"``, ``"html"``, ``"docx"`` or ``"pdf"``.
        encoding: Python codec name of the text encoding (txt/html, e.g. ``"gb18030"``), or the container
            format (``"docx"``, ``"pdf"``).
        sha256: SHA-256 (hex) of the raw bytes.
        n_bytes: Size of the raw file in bytes.
    """

    text: str
    format: str
    encoding: str
    sha256: str
    n_bytes: int


def sha256_file(path: Path) -> str:
    """Return the SHA-256 (hex) of a file's bytes, read in chunks.

    Args:
        path: The file.

    Returns:
        64 lowercase hex digits.
    """
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_document(path: Path) -> RawDocument:
    """Read and decode one raw document. The file is opened read-only, once.

    Args:
        path: A ``.txt``, ``.html``/``.htm``, ``.docx`` or ``.pdf`` file.

    Returns:
        The decoded :class:`RawDocument`.

    Raises:
        InputError: The file is missing, empty, binary, of an unsupported type, in an unknown or undecodable
            encoding, a ``.docx`` that is not a zip archive, a PDF without text layer, or has no text.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    fmt = SUPPORTED_EXTENSIONS.get(suffix)
    if fmt is None:
        supported = ", ".join(SUPPORTED_EXTENSIONS)
        kind = f"'{path.suffix}'" if path.suffix else "no extension"
        hint = " (save Word .doc files as .docx)" if suffix == ".doc" else ""
        raise InputError(
            path,
            f"unsupported file type: {kind}; supported types are {supported}{hint} "
            "(if it is not a plan, move it out of the raw folder)",
        )
    if not path.exists():
        raise InputError(path, "file not found")
    if not path.is_file():
        raise InputError(path, "is not a regular file (a folder?)")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(path, f"cannot be read: {exc.strerror or exc}") from exc
    if not data:
        raise InputError(path, "the file is empty (0 bytes)")
    if fmt == "txt":
        text, encoding = _decode_text(path, data)
    elif fmt == "html":
        text, encoding = _read_html(path, data)
    elif fmt == "docx":
        text, encoding = _read_docx(path, data), "docx"
    else:
        text, encoding = _read_pdf(path, data), "pdf"
    text = RE_NEWLINES.sub("\n", text)
    if not text.strip():
        raise InputError(path, f"contains no text (the {fmt} file is blank)")
    return RawDocument(
        text=text, format=fmt, encoding=encoding, sha256=hashlib.sha256(data).hexdigest(), n_bytes=len(data)
    )


# --------------------------------------------------------------------------------------------- text decoding


@cache
def _common_chars() -> frozenset[str]:
    """Frequent Chinese characters: GB2312 level 1 (3,755 simplified) ∪ Big5 frequent (5,401 traditional).

    Derived from the codecs' standard tables, so no data file is needed.
    """
    chars: set[str] = set()
    for codec, leads, trails in (
        ("gb2312", range(0xB0, 0xD8), range(0xA1, 0xFF)),
        ("big5", range(0xA4, 0xC7), [*range(0x40, 0x7F), *range(0xA1, 0xFF)]),
    ):
        for lead in leads:
            for trail in trails:
                try:
                    chars.add(bytes((lead, trail)).decode(codec))
                except UnicodeDecodeError:
                    continue
    return frozenset(c for c in chars if unicodedata.category(c) == "Lo")


def _is_plausible_non_ascii(char: str) -> bool:
    if char in _common_chars():
        return True
    code = ord(char)
    return (
        0x2000 <= code <= 0x206F  # general punctuation: “ ” — … ‰
        or 0x3000 <= code <= 0x303F  # CJK punctuation: 、。《》「」〇
        or 0xFF00 <= code <= 0xFFEF  # full-width forms: ，（）：；１
        or 0x00A0 <= code <= 0x00BF  # Latin-1 symbols: nbsp · ° ± §
        or code in (0xD7, 0xF7)  # × ÷
        or 0x2100 <= code <= 0x218F  # letterlike and number forms: ℃ Ⅰ Ⅱ
        or 0x2190 <= code <= 0x22FF  # arrows, maths: → ≥ ≤
        or 0x2460 <= code <= 0x24FF  # enclosed numbers: ① ⑴
        or 0x25A0 <= code <= 0x25FF  # geometric shapes: ■ ● ○ ◆
    )


def plausibility(text: str) -> float:
    """Share of a text's non-ASCII characters that are common Chinese characters or punctuation.

    Args:
        text: A decoded text.

    Returns:
        A value in [0, 1]; 1.0 for a text without non-ASCII characters.
    """
    non_ascii = [c for c in text if ord(c) > 0x7F]
    if not non_ascii:
        return 1.0
    return sum(map(_is_plausible_non_ascii, non_ascii)) / len(non_ascii)


def _sample(text: str, *, windows: int = 16, size: int = 16_384) -> str:
    """Evenly spread windows of a long text (the plausibility of a 50 MB file is judged on 256 K characters)."""
    if len(text) <= windows * size:
        return text
    step = (len(text) - size) // (windows - 1)
    return "".join(text[i * step : i * step + size] for i in range(windows))


def _control_share(text: str) -> float:
    return len(RE_CONTROL.findall(text)) / len(text) if text else 0.0


def _strict(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _binary_kind(data: bytes) -> str | None:
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return kind
    return None


def _check_not_binary(path: Path, text: str, encoding: str) -> None:
    # a few stray control characters (NUL bytes of a bad copy) are cleaning's job (logged as repairs)
    if len(RE_CONTROL.findall(text)) > max(MAX_CONTROL_SHARE * len(text), MAX_STRAY_CONTROLS):
        raise InputError(
            path,
            f"looks like a binary file, not text: decoding it as {encoding} gives control characters",
        )


def _decode_text(path: Path, data: bytes) -> tuple[str, str]:
    """Decode the bytes of a text file; return (text, codec name)."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            text = _strict(data, encoding)
            if text is None:
                raise InputError(
                    path,
                    f"starts with a {encoding.upper()} byte-order mark but is not valid {encoding.upper()}",
                )
            text = text.removeprefix("\ufeff")
            _check_not_binary(path, text, encoding)
            return text, encoding
    kind = _binary_kind(data)
    if kind:
        raise InputError(path, f"is a binary file, not text: it is {kind}")
    text = _strict(data, "utf-8")
    if text is not None:
        _check_not_binary(path, text, "utf-8")
        return text, "utf-8"
    best = _best_decoding(data)
    if best is None:
        if b"\x00" in data:
            raise InputError(path, "looks like a binary file, not text (it contains NUL bytes)")
        raise InputError(
            path,
            "unknown or undecodable encoding: the bytes are not valid UTF-8, UTF-16, GB18030/GBK or Big5 "
            "(re-save the file as UTF-8)",
        )
    text, encoding, score = best
    if score < MIN_PLAUSIBILITY:
        if b"\x00" in data:
            raise InputError(path, "looks like a binary file, not text (it contains NUL bytes)")
        raise InputError(
            path,
            f"unknown encoding: the best guess ({encoding}) gives mostly rare or garbled characters "
            f"({score:.0%} plausible); re-save the file as UTF-8",
        )
    _check_not_binary(path, text, encoding)
    return text, encoding


def _best_decoding(data: bytes) -> tuple[str, str, float] | None:
    """The most plausible strict decoding among the candidates, or None when none decodes."""
    from charset_normalizer import from_bytes  # imported lazily: ~50 ms, only needed for non-UTF-8 files

    names: list[str] = [m.encoding for m in from_bytes(data, cp_isolation=list(CANDIDATE_ENCODINGS))]
    names += ["gb18030", "big5", "cp950"]
    if len(data) % 2 == 0:
        names += ["utf_16_le", "utf_16_be"]
    best: tuple[str, str, float] | None = None
    seen: set[str] = set()
    for name in names:
        codec = codecs.lookup(name).name
        if codec in seen:
            continue
        seen.add(codec)
        text = _strict(data, codec)
        if text is None or _control_share(text) > MAX_CONTROL_SHARE:
            continue
        score = plausibility(_sample(text))
        if best is None or score > best[2]:
            best = (text, codec, score)
    return best


# ----------------------------------------------------------------------------------------------------- html


def _declared_charset(data: bytes) -> str | None:
    head = data[:4096]
    match = RE_META_CHARSET.search(head) or RE_XML_ENCODING.search(head)
    if not match:
        return None
    name = match.group(1).decode("ascii", "replace").lower()
    if name in _GB_ALIASES:
        return "gb18030"
    if name in _BIG5_ALIASES:
        return "big5hkscs"  # superset of Big5 and cp950's common extensions
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _read_html(path: Path, data: bytes) -> tuple[str, str]:
    from bs4 import BeautifulSoup

    declared = None if any(data.startswith(bom) for bom, _ in _BOMS) else _declared_charset(data)
    markup = _strict(data, declared) if declared else None
    if markup is not None:
        encoding = declared
        _check_not_binary(path, markup, encoding)
    else:
        markup, encoding = _decode_text(path, data)  # no or wrong declaration: detect
    soup = BeautifulSoup(markup, "html.parser")
    root = soup.body or soup
    parts: list[str] = []
    _html_text(root, parts, pre=False)
    lines = (line.strip(" ") for line in "".join(parts).split("\n"))
    return "\n".join(line for line in lines if line), encoding


def _is_hidden(tag) -> bool:
    return tag.has_attr("hidden") or bool(RE_HIDDEN_STYLE.search(tag.get("style") or ""))


def _is_navigation(tag) -> bool:
    if (tag.get("role") or "").lower() in ("navigation", "menubar", "menu"):
        return True
    values: list[str] = []
    classes = tag.get("class")
    if classes:
        values.extend(classes if isinstance(classes, list) else [classes])
    if tag.get("id"):
        values.append(tag["id"])
    return any(
        RE_NAV_TOKEN.match(token) for value in values for token in RE_CLASS_SPLIT.split(value) if token
    )


def _html_text(node, parts: list[str], *, pre: bool) -> None:
    """Append the visible text of ``node`` to ``parts``; block elements and table cells end lines.

    Walks the tree with an explicit stack (not recursion), so pages nested thousands of levels deep read too.
    """
    from bs4.element import NavigableString, Tag

    stack: list = [(iter(node.children), pre, False)]  # (children left, inside <pre>, block to close)
    while stack:
        children, in_pre, block = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            if block:
                parts.append("\n")
            continue
        if isinstance(child, Tag):
            name = child.name.lower()
            if name in _HTML_DROP or _is_navigation(child) or _is_hidden(child):
                continue
            if name in _HTML_PAGE_CHROME and child.find_parent(("article", "main")) is None:
                continue
            if name == "br":
                parts.append("\n")
                continue
            child_block = name in _HTML_BLOCK
            if child_block:
                parts.append("\n")
            stack.append((iter(child.children), in_pre or name in ("pre", "textarea"), child_block))
        elif type(child) is NavigableString:  # skips comments, doctype, CDATA, processing instructions
            text = str(child)
            parts.append(text if in_pre else RE_HTML_SPACE.sub(" ", RE_CJK_SEGMENT_BREAK.sub("", text)))


# ----------------------------------------------------------------------------------------------------- docx


def _read_docx(path: Path, data: bytes) -> str:
    if not zipfile.is_zipfile(io.BytesIO(data)):
        if data.startswith(_CFB_MAGIC):
            if _ENCRYPTED_PACKAGE in data:
                raise InputError(
                    path,
                    "is a password-protected (encrypted) .docx; remove the password in Word and save again",
                )
            raise InputError(
                path,
                "is not a valid .docx: it is an OLE container (an old Word .doc, or an encrypted Word "
                "document, saved under a .docx name); save it as .docx without a password",
            )
        if data.startswith(b"PK\x03\x04"):
            raise InputError(path, "is not a valid .docx: the zip archive is truncated or damaged")
        kind = _binary_kind(data)
        hint = f"; it is {kind}" if kind and "zip" not in kind else ""
        raise InputError(path, f"is not a valid .docx (not a zip archive){hint}")
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise InputError(
            path, f"is not a valid .docx (a zip archive without a Word document inside: {exc})"
        ) from exc
    except Exception as exc:  # a damaged member: zlib, XML syntax, CRC errors …
        raise InputError(
            path, f"is not a valid .docx: its content is damaged ({type(exc).__name__}: {exc})"
        ) from exc
    lines: list[str] = []
    _docx_blocks(document.element.body, lines)
    return "\n".join(lines)


def _docx_blocks(element, lines: list[str]) -> None:
    """Paragraphs and table cells (one per line) of a body or cell element, in document order."""
    from docx.oxml.ns import qn
    from docx.text.paragraph import Paragraph

    for child in element.iterchildren():
        tag = child.tag
        if tag == qn("w:p"):
            lines.append(Paragraph(child, None).text)
        elif tag == qn("w:tbl"):
            for row in child.iterchildren(qn("w:tr")):
                for cell in row.iterchildren(qn("w:tc")):
                    _docx_blocks(cell, lines)  # merged cells appear once (python-docx would repeat them)
        elif tag in (qn("w:sdt"), qn("w:customXml")):
            content = child.find(qn("w:sdtContent"))
            _docx_blocks(content if content is not None else child, lines)


# ------------------------------------------------------------------------------------------------------ pdf


def _read_pdf(path: Path, data: bytes) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise InputError(path, "is a password-protected PDF; remove the password first")
        pages = [page.extract_text() or "" for page in reader.pages]
    except InputError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise InputError(path, f"is not a readable PDF ({exc})") from exc
    except Exception as exc:  # pypdf meets damaged files with many exception types
        raise InputError(path, f"is not a readable PDF ({type(exc).__name__}: {exc})") from exc
    if not any(page.strip() for page in pages):
        raise InputError(
            path,
            f"has no text layer (scanned PDF?): none of its {len(pages)} page(s) contains extractable text; "
            "run OCR on it first or supply a .txt/.docx version",
        )
    return "\n".join(page.rstrip("\n") for page in pages)
