"""What users read: corpus overview tables (``overview``), the briefing's headlines and notes (``briefing``),
charts (``plots``), notebook execution and offline HTML export (``notebooks``).
"""
