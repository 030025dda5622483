"""Quantitative targets and timelines: the target rules (``rules``), prose sentences (``sentence_targets``),
flattened indicator tables (``table_targets``), one document's targets (``targets``), plan periods
(``periods``), timeline events (``timeline``), cross-city indicator alignment (``align``, ``grouping``),
the corpus step (``corpus``) and evaluation against hand-checked records (``evaluate``).
"""
