"""Column names and types of every table ``compare`` writes, declared once and validated before writing.

Each table is a :class:`TableSchema`: an ordered list of :class:`Column` with a logical type
(``str``, ``int``, ``float``, ``bool``), whether nulls are allowed, and optional allowed values or ranges.
:func:`validate` checks a DataFrame against its schema, coerces dtypes to the declared ones (so every
Parquet part has one fixed Arrow schema) and raises :class:`~compare.core.errors.SchemaError` listing every
problem at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import pyarrow as pa

from compare.core.errors import SchemaError

_ARROW = {"str": pa.string(), "int": pa.int64(), "float": pa.float64(), "bool": pa.bool_()}
_PANDAS = {"str": "object", "int": "Int64", "float": "float64", "bool": "boolean"}


@dataclass(frozen=True)
class Column:
    """One column of a table.

    Attributes:
        name: Column name (stable; part of the public interface).
        kind: ``"str"``, ``"int"``, ``"float"`` or ``"bool"``.
        nullable: Whether missing values are allowed.
        allowed: If set, the only values allowed (nulls aside).
        min: If set, the smallest allowed numeric value.
        max: If set, the largest allowed numeric value.
        doc: What the column means.
    """

    name: str
    kind: str
    nullable: bool = False
    allowed: tuple | None = None
    min: float | None = None
    max: float | None = None
    doc: str = ""


@dataclass(frozen=True)
class TableSchema:
    """An ordered set of columns plus the key that must be unique."""

    name: str
    columns: tuple[Column, ...]
    unique: tuple[str, ...] = ()
    doc: str = ""
    by_name: dict = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {c.name: c for c in self.columns})

    @property
    def names(self) -> list[str]:
        """Column names in order."""
        return [c.name for c in self.columns]

    def arrow_schema(self) -> pa.Schema:
        """The fixed Arrow schema used for every Parquet file of this table."""
        return pa.schema([pa.field(c.name, _ARROW[c.kind], nullable=True) for c in self.columns])

    def empty(self) -> pd.DataFrame:
        """An empty DataFrame with this schema's columns and dtypes (a fresh copy each call)."""
        cached = self.__dict__.get("_empty")
        if cached is None:
            cached = pd.DataFrame({c.name: pd.Series([], dtype=_PANDAS[c.kind]) for c in self.columns})
            object.__setattr__(self, "_empty", cached)
        return cached.copy()


def C(name: str, kind: str, doc: str = "", **kw) -> Column:
    """Shorthand for :class:`Column`."""
    return Column(name, kind, doc=doc, **kw)


SHA = C("source_sha256", "str", "SHA-256 of the raw source file this row comes from")
DOC = C("doc_id", "str", "stable readable document id, e.g. taizhou_js_2023")
PASSAGE = C("passage_id", "str", "passage id, '<doc_id>/p0001'")
SENTENCE = C("sentence_id", "str", "sentence id, '<doc_id>/s00001'")
SCRIPTS = ("simplified", "traditional", "mixed", "unknown")

DOCUMENTS = TableSchema(
    "documents",
    (
        DOC,
        C("file", "str", "file name inside the raw folder"),
        SHA,
        C("format", "str", "txt / html / docx / pdf", allowed=("txt", "html", "docx", "pdf")),
        C("encoding", "str", "detected text encoding (txt/html) or the container format", nullable=True),
        C(
            "level",
            "str",
            "administrative level of the issuer: province / city / county",
            nullable=True,
            allowed=("province", "city", "county"),
        ),
        C("city", "str", "city in Chinese (e.g. 泰州); empty when unnamed or province-level", nullable=True),
        C("city_label", "str", "label that keeps same-romanised cities apart, e.g. 泰州(江苏)"),
        C("province", "str", "province in Chinese", nullable=True),
        C("names_city", "bool", "whether the text itself names the city"),
        C("city_evidence", "str", "why the city is believed (masked/unnamed documents)", nullable=True),
        C("genre", "str", "行动方案 / 五年规划 / 工作要点 / 实施意见 …", nullable=True),
        C("title", "str", "document title", nullable=True),
        C("period_start", "int", "first year of the plan period", nullable=True, min=1949, max=2100),
        C("period_end", "int", "last year of the plan period", nullable=True, min=1949, max=2100),
        C("issue_date", "str", "issue date (ISO yyyy-mm-dd) if stated", nullable=True),
        C("script", "str", "script of the raw text", allowed=SCRIPTS),
        C("source", "str", "where the file came from", nullable=True),
        C("notes", "str", "free notes", nullable=True),
        C("metadata_source", "str", "manifest, inferred, or manifest+inferred"),
        C("inferred_fields", "str", "comma-separated fields inferred from the text", nullable=True),
        C("n_chars_raw", "int", "characters in the decoded raw text", min=0),
        C("n_chars_clean", "int", "characters in the cleaned text", min=0),
        C("text", "str", "cleaned, simplified text (offsets of passages/sentences refer to it)"),
        C("text_original", "str", "cleaned text in the original script, same length and offsets as text"),
    ),
    unique=("doc_id",),
    doc="One row per document: metadata, provenance and cleaned text.",
)

PASSAGES = TableSchema(
    "passages",
    (
        DOC,
        PASSAGE,
        C("seq", "int", "order of the passage in its document", min=0),
        C("section_path", "str", "heading numbers from the top, e.g. 二/（三）/9"),
        C("heading", "str", "the heading text of the innermost section", nullable=True),
        C("level", "int", "depth of the passage in the heading hierarchy (0 = preamble)", min=0),
        C(
            "kind",
            "str",
            "heading / item / paragraph / table / responsibility",
            allowed=("heading", "item", "paragraph", "table", "responsibility"),
        ),
        C("text", "str", "simplified text"),
        C("text_original", "str", "the same span in the original script"),
        C("start", "int", "start offset in documents.text", min=0),
        C("end", "int", "end offset in documents.text", min=0),
        SHA,
    ),
    unique=("passage_id",),
    doc="Passages: headings, list items, paragraphs, table blocks and responsibility lines.",
)

SENTENCES = TableSchema(
    "sentences",
    (
        DOC,
        PASSAGE,
        SENTENCE,
        C("seq", "int", "order of the sentence in its document", min=0),
        C("text", "str", "simplified text"),
        C("text_original", "str", "the same span in the original script"),
        C("start", "int", "start offset in documents.text", min=0),
        C("end", "int", "end offset in documents.text", min=0),
        SHA,
    ),
    unique=("sentence_id",),
    doc="Sentences, split on 。！？； and line ends, never inside numbers, quotes or brackets.",
)

TOKENS = TableSchema(
    "tokens",
    (
        DOC,
        PASSAGE,
        SENTENCE,
        C("token_index", "int", "position of the token in its sentence", min=0),
        C("token", "str", "the token (simplified)"),
        C("start", "int", "start offset in documents.text", min=0),
        C("is_stopword", "bool", "token is a stopword or punctuation"),
        C("is_number", "bool", "token is a number, percentage, range or mask"),
        SHA,
    ),
    doc="Tokens from jieba with the education-policy dictionary.",
)

REPAIRS = TableSchema(
    "repairs",
    (
        DOC,
        C(
            "action",
            "str",
            "removed / repaired / masked / joined",
            allowed=("removed", "repaired", "masked", "joined"),
        ),
        C("rule", "str", "name of the cleaning rule"),
        C("before", "str", "text before (as in the raw file)"),
        C("after", "str", "text after (empty when removed)"),
        C("line", "int", "1-based line in the raw text", min=1),
        SHA,
    ),
    doc="Log of every change cleaning made to a document.",
)

ERRORS = TableSchema(
    "errors",
    (
        DOC,
        C("file", "str", "raw file"),
        C("stage", "str", "stage that failed (read, clean, segment, tokenize, …)"),
        C("message", "str", "what went wrong"),
    ),
    doc="Documents that failed to build (with --keep-going or a parallel executor).",
)

SCHEMAS: dict[str, TableSchema] = {
    s.name: s for s in (DOCUMENTS, PASSAGES, SENTENCES, TOKENS, REPAIRS, ERRORS)
}


def register(schema: TableSchema) -> TableSchema:
    """Add a table schema to :data:`SCHEMAS` (used by the themes/targets stages) and return it."""
    SCHEMAS[schema.name] = schema
    return schema


STR_DTYPE = pd.StringDtype("pyarrow", na_value=float("nan"))
"""pandas' default string dtype (``str`` in pandas 3), the dtype the ``str`` columns are built with."""


def str_array(values: list) -> pd.api.extensions.ExtensionArray:
    """A column of strings (``None`` = missing) in pandas' default string dtype, built through one Arrow call.

    About twice as fast as letting the DataFrame constructor infer and convert a Python list.
    """
    return pd.arrays.ArrowStringArray(pa.array(values, type=pa.large_string()), dtype=STR_DTYPE)


def _coerce(series: pd.Series, kind: str) -> pd.Series:
    """Cast a column to the declared logical type; cheap when it already has it."""
    dtype = series.dtype
    if kind == "str":
        if isinstance(dtype, pd.StringDtype):
            return series  # pandas' own string dtype (the default in pandas 3) is kept as it is
        if not pd.api.types.is_object_dtype(dtype):
            series = series.astype(object)
        mask = series.isna()
        return series.where(~mask, None) if mask.any() else series
    if kind == "int":
        if str(dtype) == "Int64":
            return series
        if pd.api.types.is_integer_dtype(dtype):
            return series.astype("Int64")
        return pd.to_numeric(series, errors="raise").astype("Int64")
    if kind == "float":
        return series if dtype == "float64" else pd.to_numeric(series, errors="raise").astype("float64")
    return series if str(dtype) == "boolean" else series.astype("boolean")


def validate(df: pd.DataFrame, schema: TableSchema | str) -> pd.DataFrame:
    """Check a table against its schema and return it with the declared column order and dtypes.

    Args:
        df: The table.
        schema: A :class:`TableSchema` or the name of a registered one.

    Returns:
        A copy with exactly the schema's columns, in order, with coerced dtypes.

    Raises:
        SchemaError: Listing every missing/unknown column, type, null, range, enum and uniqueness problem.
    """
    schema = SCHEMAS[schema] if isinstance(schema, str) else schema
    problems: list[str] = []
    missing = [n for n in schema.names if n not in df.columns]
    extra = [n for n in df.columns if n not in schema.by_name]
    if missing:
        problems.append(f"missing columns {missing}")
    if extra:
        problems.append(f"unknown columns {extra}")
    if problems:
        raise SchemaError(f"table {schema.name!r}: " + "; ".join(problems))
    out: dict[str, pd.Series] = {}
    for col in schema.columns:
        try:
            s = _coerce(df[col.name], col.kind)
        except (ValueError, TypeError) as exc:
            problems.append(f"column {col.name!r} is not {col.kind}: {exc}")
            continue
        nulls = s.isna()
        if not col.nullable and nulls.any():
            problems.append(f"column {col.name!r} has {int(nulls.sum())} missing values")
        present = s[~nulls] if nulls.any() else s
        if col.allowed is not None:
            outside = ~present.isin(col.allowed)
            bad = sorted(set(present[outside]), key=str) if outside.any() else []
            if bad:
                problems.append(f"column {col.name!r} has values outside {col.allowed}: {bad[:5]}")
        if col.min is not None and len(present) and (present < col.min).any():
            problems.append(f"column {col.name!r} has values below {col.min}")
        if col.max is not None and len(present) and (present > col.max).any():
            problems.append(f"column {col.name!r} has values above {col.max}")
        out[col.name] = s
    frame = pd.DataFrame(out, index=df.index)
    if schema.unique and not frame.empty:
        dup = frame.duplicated(list(schema.unique), keep=False)
        if dup.any():
            problems.append(f"{int(dup.sum())} rows share a key {schema.unique}")
    if problems:
        raise SchemaError(f"table {schema.name!r}: " + "; ".join(problems))
    return frame.reset_index(drop=True)
