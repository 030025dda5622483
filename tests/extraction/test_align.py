"""Cross-city alignment: vocabulary, similarity grouping, ambition, side-by-side table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from compare.core.schemas import SCHEMAS, validate
from compare.extraction.align import (
    ALIGNED,
    align_indicators,
    load_vocabulary,
    match_vocabulary,
    side_by_side,
)

THEME_CODES = None


def test_vocabulary_is_well_formed():
    import yaml

    from compare.core.config import resource_path

    themes = set(yaml.safe_load(resource_path("themes.yaml").read_text(encoding="utf-8"))["themes"])
    vocab = load_vocabulary()
    ids = [e["id"] for e in vocab]
    assert len(ids) == len(set(ids))
    for e in vocab:
        assert e["name"] and e["patterns"] and e["direction"] in ("higher", "lower")
        assert e["theme"] in themes, e["id"]


def test_vocabulary_matches_issue_examples():
    cases = {
        "普惠性幼儿园在园幼儿占比": "preschool_inclusive_share",
        "公办幼儿园在园幼儿占比": "preschool_public_share",
        "省、市优质幼儿园覆盖率": "preschool_quality_coverage",
        "全国义务教育发展优质均衡县（市、区）比例": "compulsory_quality_balanced_county",
        "1000人以下学校至少配备专职心理健康教师": "mental_health_teachers",
        "职业学校专业与产业结构匹配度": "vocational_industry_match",
    }
    for text, vid in cases.items():
        assert match_vocabulary(text)["id"] == vid, text
    assert match_vocabulary("坚持立德树人") is None


def test_aligned_table_groups_cities(tables):
    a = tables["aligned_indicators"]
    assert SCHEMAS["aligned_indicators"] is ALIGNED
    validate(a, "aligned_indicators")
    share = a[a["indicator_id"] == "preschool_inclusive_share"]
    assert {"宁波(浙江)", "台州(浙江)"} <= set(share["city_label"])
    quality = a[a["indicator_id"] == "preschool_quality_coverage"]
    assert {"常州(江苏)", "泰州(江苏)"} <= set(quality["city_label"])
    assert not a["target_id"].isin(tables["targets"].loc[tables["targets"]["is_repeat"], "target_id"]).any()


def test_taizhou_cities_stay_apart(tables):
    labels = set(tables["aligned_indicators"]["city_label"])
    assert {"泰州(江苏)", "台州(浙江)"} <= labels


def test_ambition_against_other_cities(tables):
    a = tables["aligned_indicators"]
    g = a[(a["indicator_id"] == "education_groups_share") & a["comparable"]].set_index("city_label")
    # 宁波: 教共体占比不低于60%; 泰州: 紧密型教育集团比例达25%以上
    assert g.loc["宁波(浙江)", "ambition_rank"] == 1 and g.loc["泰州(江苏)", "ambition_rank"] == 2
    assert g.loc["宁波(浙江)", "ambition_vs_median"] == 35


def test_increase_over_baseline(tables):
    a = tables["aligned_indicators"]
    row = a[a["indicator"] == "随迁子女公办义务教育学校就读率"].iloc[0]
    assert abs(row["increase_over_baseline"] - (95 - 72.91)) < 1e-9


def _synthetic() -> pd.DataFrame:
    base = {
        "level": None,
        "value_max": None,
        "comparator": "=",
        "target_year": 2025,
        "per_year": False,
        "baseline_value": None,
        "baseline_year": None,
        "is_masked": False,
        "is_repeat": False,
        "quote": "q",
        "themes": None,
    }
    rows = [
        {
            "doc_id": "a",
            "target_id": "a/t1",
            "indicator": "中小学智慧校园达标比例",
            "value": 80.0,
            "unit": "%",
            "number_start": 1,
        },
        {
            "doc_id": "b",
            "target_id": "b/t1",
            "indicator": "中小学智慧校园达标率",
            "value": 90.0,
            "unit": "%",
            "number_start": 1,
        },
        {
            "doc_id": "b",
            "target_id": "b/t2",
            "indicator": "校车线路",
            "value": 10.0,
            "unit": "条",
            "number_start": 9,
        },
    ]
    return pd.DataFrame([{**base, **r} for r in rows])


def test_similarity_groups_unmatched_indicators_of_different_documents():
    a = align_indicators(_synthetic()).set_index("target_id")
    assert a.loc["a/t1", "indicator_id"] == a.loc["b/t1", "indicator_id"]
    assert a.loc["a/t1", "match_method"] == "similarity"
    assert a.loc["b/t2", "match_method"] == "none" and a.loc["b/t2", "n_cities"] == 1
    assert a.loc["b/t1", "ambition_rank"] == 1 and a.loc["a/t1", "ambition_vs_median"] == -10
    # a high threshold keeps them apart
    strict = align_indicators(_synthetic(), min_similarity=0.99).set_index("target_id")
    assert strict.loc["a/t1", "indicator_id"] != strict.loc["b/t1", "indicator_id"]


def test_side_by_side(tables):
    wide = side_by_side(tables["aligned_indicators"])
    assert "泰州(江苏)" in wide.columns and "台州(浙江)" in wide.columns
    cell = wide.xs("公办幼儿园在园幼儿占比", level="canonical_name").iloc[0]["宁波(浙江)"]
    assert "60%" in cell and "2023" in cell


def test_empty_targets():
    assert align_indicators(pd.DataFrame()).empty
    assert side_by_side(ALIGNED.empty()).empty


@pytest.mark.parametrize("n", [2, 3, 4, 7, 10])
def test_median_of_others_equals_the_median_without_each_value(n):
    from compare.extraction.align import median_of_others

    rng = np.random.default_rng(n)
    for _ in range(50):  # ties included: few distinct values
        values = rng.integers(0, 4, n) * rng.choice([1.0, 0.1, 1 / 3])
        want = [float(pd.Series(np.delete(values, i)).median()) for i in range(n)]
        assert median_of_others(values).tolist() == want
    assert np.isnan(median_of_others(np.array([5.0]))).all()
