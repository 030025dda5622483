"""The ``targets`` table: one record per stated quantitative target (or masked target) of a document
(spec: shared/notes/targets.md).
"""

from __future__ import annotations

from compare.core.schemas import C, TableSchema, register

COMPARATORS = (">=", ">", "<=", "<", "=", "range", "approx")


#: Where a target's year comes from: the sentence itself, an earlier sentence of its passage, a governing
#: heading or lead sentence of its section, a goals statement governing the whole document, the plan period,
#: the issue date (年底前 of a document without a period), or nowhere (``none``: no year).
DEADLINE_SOURCES = ("sentence", "passage", "section", "document", "plan period", "issue date", "none")


TARGETS = register(
    TableSchema(
        "targets",
        (
            C("doc_id", "str", "document"),
            C("target_id", "str", "'<sentence_id or passage_id>/t<k>'"),
            C("passage_id", "str", "passage stating the target"),
            C(
                "sentence_id",
                "str",
                "sentence stating the target (first sentence of a table row)",
                nullable=True,
            ),
            C(
                "source",
                "str",
                "text (a prose sentence) or table (an indicator table row)",
                allowed=("text", "table"),
            ),
            C("indicator", "str", "what is measured or built, simplified Chinese, from the sentence"),
            C("level", "str", "sub-level of a table row (学前段, 小学 …)", nullable=True),
            C(
                "value",
                "float",
                "the number, scale words applied; empty when masked or unreadable",
                nullable=True,
            ),
            C("value_max", "float", "upper end of a range", nullable=True),
            C("unit", "str", "unit as stated after scaling (%, 所, 人, 元 …)", nullable=True),
            C("comparator", "str", "relation to the value", allowed=COMPARATORS),
            C("target_year", "int", "deadline year", nullable=True, min=1949, max=2100),
            C("per_year", "bool", "a quantity per year (每年, 年均, 每学年, 逐年 …)"),
            C("deadline_text", "str", "the time phrase as written", nullable=True),
            C("deadline_source", "str", "where target_year comes from", allowed=DEADLINE_SOURCES),
            C("baseline_value", "float", "starting level stated by the plan", nullable=True),
            C("baseline_year", "int", "year of the baseline", nullable=True, min=1949, max=2100),
            C("binding", "str", "约束性 / 预期性 from an indicator table", nullable=True),
            C("is_masked", "bool", "the number is hidden (**) in the source"),
            C("is_repeat", "bool", "an earlier record of the same document states the same target"),
            C("repeat_of", "str", "target_id of the first mention", nullable=True),
            C("number_text", "str", "the number as written (simplified text)"),
            C("number_start", "int", "offset of the number in documents.text", min=0),
            C("quote", "str", "exact substring of documents.text_original stating the target"),
            C("start", "int", "offset of the quote in documents.text / text_original", min=0),
            C("end", "int", "end offset of the quote", min=0),
            C("themes", "str", "comma-separated theme codes of the passage (themes stage)", nullable=True),
            C(
                "flag",
                "str",
                "suspicious value: overflow, garbled_digits, suspect_lost_decimal …",
                nullable=True,
            ),
        ),
        unique=("target_id",),
        doc="One row per stated quantitative target (or masked target) of a document.",
    )
)
