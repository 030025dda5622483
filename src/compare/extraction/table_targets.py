"""Targets in flattened indicator tables (passages of kind ``table``): indicator / baseline year / target
year / 约束性|预期性, one cell per line; merged cells split into levels, baseline and target aligned by position.
"""

from __future__ import annotations

import re

import pandas as pd

from compare.extraction.rules import RE_SPACE, comparator_of, target_rules
from compare.extraction.target_schema import TARGETS
from compare.text.cells import LEVEL_PART_RE, RATIO_CELL_RE, RATIO_RE, is_level_cell
from compare.text.cells import PHRASE_CELL_RE as RE_PHRASE_CELL

RE_TABLE_VALUE = re.compile(r"^(?:/|(?:[<>＜＞≥≤]?\s*[0-9]+(?:\.[0-9]+)?\s*/?\s*)+)$")


RE_TABLE_CELL = re.compile(r"(?P<cmp>[<>＜＞≥≤]?)\s*(?P<num>[0-9]+(?:\.[0-9]+)?)")


RE_HEADER_YEAR = re.compile(
    r"^(?P<y>\d{4})\s*年?(?:底|末)?(?:基数|基准值?|现状值?|实际值?|目标值?|预期值?|值)?$"
)


RE_LABEL_UNIT = re.compile(r"[（(](?P<u>%|‰|万?人次|万?人|万?元|所|个|年|项|家|倍|[^（）()/]{1,3}?)[)）]\s*$")


_CMP_SIGN = {">": ">", "＞": ">", "<": "<", "＜": "<", "≥": ">=", "≤": "<=", "": "="}


def _split_levels(label: str, level_words: list[str]) -> tuple[list[str], str, str]:
    """'学前/义务教育学生公办学校就读率' → (['学前', '义务'], prefix, rest); no slash → ([], '', label)."""
    m = re.search(r"[（(]([^（）()]*/[^（）()]*)[)）]", label)
    if m:  # 差异系数（小/初）
        return [x.strip() for x in m.group(1).split("/")], label[: m.start()], label[m.end() :]
    if "/" not in label:
        return [], "", label
    parts = label.split("/")
    last = parts[-1]
    for w in sorted(level_words, key=len, reverse=True):
        if last.startswith(w):
            return [*(p.strip() for p in parts[:-1]), w], "", last[len(w) :]
    return [], "", label


def _cells(tokens: list[str]) -> list[tuple[str, float | None]]:
    out: list[tuple[str, float | None]] = []
    rules = target_rules()
    for tok in tokens:
        if tok.strip() == "/":
            out.append(("=", None))
            continue
        if RE_PHRASE_CELL.match(tok) and not RE_TABLE_VALUE.match(tok.replace(" ", "")):
            m = RE_TABLE_CELL.search(tok)  # 提高到95%以上: the comparator is in the words around the number
            post = re.sub(r"^\s*(?:%|‰|[\u4e00-\u9fff](?=及以上|以上|以下|以内|左右))", "", tok[m.end() :])
            comparator = comparator_of(tok[: m.start()], post, rules)[0] or _CMP_SIGN.get(m["cmp"], "=")
            out.append((comparator, float(m["num"])))
            continue
        for m in RE_TABLE_CELL.finditer(tok):
            out.append((_CMP_SIGN.get(m["cmp"], "="), float(m["num"])))
    return out


def _number_text(cell: str) -> str:
    """The (last) number of a target cell (提高到95%以上 → 95, >97 → 97); the cell when it has none."""
    found = list(RE_TABLE_CELL.finditer(cell))
    return found[-1]["num"] if found else cell


def _number_offset(cell: str) -> int:
    """Offset of the (last) number inside a target cell (提高到95%以上 → 3, ≥93 → 1), else 0."""
    found = list(RE_TABLE_CELL.finditer(cell))
    return found[-1].start("num") if found else 0


def _is_split_cell(cell: str) -> bool:
    """A cell whose figures carry their own level (小学3.8，初中4.6) or are a ratio (18.6:1, 控制在17:1以内)."""
    return is_level_cell(cell) or RATIO_RE.search(cell) is not None


def _cell_parts(cell: str) -> list[dict]:
    """The figures of a cell: ``level`` (None for one figure of several levels, 小学、初中均达到1人以上), ``value``,
    ``comparator``, ``unit`` (a ratio's ``1:x`` / ``x:1``, else the unit written in the cell), ``number_text``
    and its ``offset`` in the cell."""
    rules = target_rules()
    parts = list(LEVEL_PART_RE.finditer(cell)) if is_level_cell(cell) else []
    spans = [
        (m["levels"], m.start("num"), m["num"], m["cmp"], m["verb"], m["unit"], m["tail"]) for m in parts
    ]
    if not spans:
        m = RATIO_RE.search(cell) or RE_TABLE_CELL.search(cell)
        if m is None:
            return []
        start = m.start()
        spans = [(None, start, m.group(0).strip(), "", cell[:start], None, cell[m.end() :])]
    out = []
    for levels, offset, num, sign, verb, unit, tail in spans:
        ratio = RATIO_RE.fullmatch(num.replace(" ", ""))
        if ratio:
            a, b = float(ratio["a"]), float(ratio["b"])
            value, unit = (b, "1:x") if a == 1 and b != 1 else (a, "x:1")
        else:
            value = float(num.lstrip("<>＜＞≥≤ "))
        comparator = _CMP_SIGN.get((sign or "").strip(), "=")
        if (
            comparator == "="
        ):  # the words around the figure: 控制在…以内, 达到…以上 (resources/comparators.csv)
            comparator = comparator_of(verb or "", tail or "", rules)[0] or "="
        names = re.split(r"[、和]", levels) if levels else []
        out.append(
            {
                "level": names[0] if len(names) == 1 else None,
                "value": value,
                "comparator": comparator,
                "unit": unit,
                "number_text": num,
                "offset": offset,
            }
        )
    return out


def _split_cell_records(values: list[tuple[str, int, int]], *, indicator: str, unit: str, years: list[int]):
    """Target records of a row whose cells state levels or ratios: one per figure of the last cell, with the
    baseline of the same level (or the only baseline figure) from the cell before it."""
    target_cell, t_start, _ = values[-1]
    baseline = {}
    if len(values) >= 2:
        for part in _cell_parts(values[-2][0]):
            baseline[part["level"]] = part["value"]
    for part in _cell_parts(target_cell):
        level = part["level"]
        unit_of = unit or part["unit"] or ""
        if part["unit"] in ("1:x", "x:1"):
            unit_of = part["unit"]
        base_value = baseline.get(level, baseline.get(None) if len(baseline) == 1 else None)
        yield {
            "indicator": f"{level}{indicator}" if level else indicator,
            "level": level,
            "value": part["value"],
            "unit": unit_of or None,
            "comparator": part["comparator"],
            "baseline_value": base_value if len(values) >= 2 else None,
            "years": years,
            "number_text": part["number_text"],
            "number_start": t_start + part["offset"],
        }


def _table_record(
    rec: dict, *, doc_id, passage_id, k: int, base: int, binding, quote: str, start: int, end: int
) -> dict:
    """A ``targets`` row of an indicator table from one figure (see :func:`_split_cell_records`)."""
    years = rec["years"]
    return {
        "doc_id": doc_id,
        "target_id": f"{passage_id}/t{k}",
        "passage_id": passage_id,
        "sentence_id": None,
        "source": "table",
        "indicator": rec["indicator"],
        "level": rec["level"],
        "value": rec["value"],
        "value_max": None,
        "unit": rec["unit"],
        "comparator": rec["comparator"],
        "target_year": years[1] if len(years) > 1 else None,
        "per_year": False,
        "deadline_text": f"{years[1]}年" if len(years) > 1 else None,
        "deadline_source": "sentence" if len(years) > 1 else "none",
        "baseline_value": rec["baseline_value"],
        "baseline_year": years[0] if years else None,
        "binding": binding,
        "is_masked": False,
        "is_repeat": False,
        "repeat_of": None,
        "number_text": rec["number_text"],
        "number_start": base + rec["number_start"],
        "quote": quote,
        "start": start,
        "end": end,
        "themes": None,
        "flag": None,
    }


def extract_table_targets(passages: pd.DataFrame, *, documents: pd.DataFrame) -> pd.DataFrame:
    """One target per indicator and level of the flattened indicator tables (passages of kind ``table``).

    A table flattened to one cell per line reads: header (领域 主要目标 2020年 2025年 指标属性), then per row
    an optional domain, the indicator with its unit in brackets, an optional sub-level, the baseline cell, the
    target cell and the 约束性/预期性 attribute. Merged cells hold several levels ("40.92/ 8250 >60/>95" is
    学前 / 义务); baseline and target are aligned by position. A percentage above 100 is flagged
    ``suspect_lost_decimal`` (8250 is 82.50 that lost its point), never silently corrected.

    Args:
        passages: The ``passages`` table (any documents); only ``kind == "table"`` rows are read.
        documents: The ``documents`` table (for the quote in the original script).

    Returns:
        A ``targets`` table with source ``table``.
    """
    rules = target_rules()
    tcfg = rules.table
    attr_words = set(tcfg["attribute_words"])
    header_words = set(tcfg["header_words"])
    level_words = list(tcfg["level_words"])
    level_names = dict(tcfg.get("level_names", {}))
    if passages is None or passages.empty:
        return TARGETS.empty()
    is_table = passages["kind"] == "table"
    if not is_table.any():
        return TARGETS.empty()
    tables = passages[is_table].sort_values(["doc_id", "seq"])
    rows: list[dict] = []
    for doc_id, dtab in tables.groupby("doc_id", sort=False):
        years: list[int] = []
        parent: tuple[str, str] | None = None  # (indicator, unit) of a row whose levels follow
        for p in dtab.itertuples():
            text, orig, base = str(p.text), str(p.text_original), int(p.start)
            toks = [(m.group(0).strip(), m.start(), m.end()) for m in re.finditer(r"[^\n]+", text)]
            toks = [t for t in toks if t[0]]
            has_attributes = any(t[0] in attr_words for t in toks)
            labels: list[tuple[str, int, int]] = []
            values: list[tuple[str, int, int]] = []
            k = 0
            for tok, a, b in toks:
                ym = RE_HEADER_YEAR.match(tok)
                if ym and not values:
                    if len(years) >= 2:
                        years = []
                    years.append(int(ym["y"]))
                    continue
                if tok in header_words:
                    labels = []
                    continue
                if (
                    RE_TABLE_VALUE.match(tok.replace(" ", ""))
                    or RATIO_CELL_RE.match(tok)
                    or (labels and (RE_PHRASE_CELL.match(tok) or is_level_cell(tok)))
                ):
                    values.append((tok, a, b))
                    if has_attributes or not (len(years) >= 2 and len(values) == len(years)):
                        continue
                    binding = None  # a table without an attribute column: the row ends with its last column
                elif tok in attr_words:
                    binding = tok
                else:
                    binding = ""
                if binding != "":
                    cells = _cells([v[0] for v in values])
                    lab = [x[0] for x in labels]
                    level_label = None
                    if lab and lab[-1] in level_words:
                        level_label = lab[-1]
                        if len(lab) >= 2:
                            unit_m = RE_LABEL_UNIT.search(lab[-2])
                            parent = (lab[-2], unit_m["u"] if unit_m else "")
                    elif lab:
                        unit_m = RE_LABEL_UNIT.search(lab[-1])
                        parent = (lab[-1], unit_m["u"] if unit_m else "")
                    if parent is None or not cells:
                        labels, values = [], []
                        continue
                    ind_label, unit_raw = parent
                    ind_base = RE_LABEL_UNIT.sub("", ind_label).strip()
                    if level_label is None and any(_is_split_cell(v[0]) for v in values):
                        # 小学3.8，初中4.6 / 18.6:1: levels and ratios stated inside the cells
                        for rec in _split_cell_records(
                            values, indicator=RE_SPACE.sub("", ind_base), unit=unit_raw, years=years
                        ):
                            k += 1
                            rows.append(
                                _table_record(
                                    rec, doc_id=doc_id, passage_id=p.passage_id, k=k, base=base, binding=binding,
                                    quote=orig[(labels[0][1] if labels else values[0][1]) : b],
                                    start=base + (labels[0][1] if labels else values[0][1]), end=base + b,
                                )
                            )  # fmt: skip
                        labels, values = [], []
                        continue
                    levels, prefix, rest = _split_levels(ind_base, level_words)
                    n_levels = max(1, len(levels)) if level_label is None else 1
                    if len(cells) == 2 * n_levels:
                        base_cells, target_cells = cells[:n_levels], cells[n_levels:]
                    elif len(cells) == 1:
                        base_cells, target_cells = [("=", None)], cells
                    else:
                        n = len(cells) // 2
                        base_cells, target_cells = cells[:n], cells[n:]
                        n_levels = n
                    scale = 1.0
                    unit = unit_raw
                    if unit_raw.startswith("万") and len(unit_raw) > 1:
                        scale, unit = 1e4, unit_raw[1:]
                    elif unit_raw == "万元":
                        scale, unit = 1e4, "元"
                    q_start = labels[0][1] if labels else (values[0][1] if values else a)
                    q_end = b
                    quote = orig[q_start:q_end]
                    sentence_id = None
                    for li in range(n_levels):
                        if level_label is not None:
                            lvl = level_label
                            indicator = RE_SPACE.sub("", ind_base)
                        elif levels:
                            lvl = level_names.get(levels[li], levels[li]) if li < len(levels) else None
                            indicator = f"{prefix}{levels[li]}{rest}" if not prefix else f"{prefix}（{lvl}）"
                        else:
                            lvl = None
                            indicator = RE_SPACE.sub("", ind_base)
                        b_cmp, b_val = base_cells[li] if li < len(base_cells) else ("=", None)
                        t_cmp, t_val = target_cells[li] if li < len(target_cells) else ("=", None)
                        flags = []
                        for v in (b_val, t_val):
                            if v is not None and unit == "%" and v > 100:
                                flags.append(f"suspect_lost_decimal({v:g})")
                        if b_cmp != "=" and b_val is not None:
                            flags.append(f"baseline_comparator({b_cmp})")
                        rows.append(
                            {
                                "doc_id": doc_id,
                                "target_id": f"{p.passage_id}/t{k + 1}",
                                "passage_id": p.passage_id,
                                "sentence_id": sentence_id,
                                "source": "table",
                                "indicator": indicator,
                                "level": lvl,
                                "value": None if t_val is None else t_val * scale,
                                "value_max": None,
                                "unit": unit or None,
                                "comparator": t_cmp,
                                "target_year": years[1] if len(years) > 1 else None,
                                "per_year": False,
                                "deadline_text": f"{years[1]}年" if len(years) > 1 else None,
                                "deadline_source": "sentence" if len(years) > 1 else "none",
                                "baseline_value": None if b_val is None else b_val * scale,
                                "baseline_year": years[0] if years else None,
                                "binding": binding,
                                "is_masked": False,
                                "is_repeat": False,
                                "repeat_of": None,
                                "number_text": _number_text(values[-1][0]) if values else "",
                                "number_start": base
                                + (values[-1][1] + _number_offset(values[-1][0]) if values else q_start),
                                "quote": quote,
                                "start": base + q_start,
                                "end": base + q_end,
                                "themes": None,
                                "flag": ",".join(flags) or None,
                            }
                        )
                        k += 1
                    labels, values = [], []
                    continue
                # a label
                if values:  # labels after values without an attribute: a broken row; start over
                    values = []
                labels.append((tok, a, b))
    if not rows:
        return TARGETS.empty()
    return pd.DataFrame(rows)
