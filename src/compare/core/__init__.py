"""The foundation every layer uses: paths (``config``), exceptions (``errors``), table schemas (``schemas``),
reading and writing tables (``store``), Arrow memory (``memory``) and sparse-vector helpers (``vectors``).
Nothing here imports another part of ``compare``.
"""
