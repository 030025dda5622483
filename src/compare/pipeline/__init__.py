"""Running the pipeline: the stages and their order (``stages``), one chunk of documents in a worker
(``chunks``), the per-document cache (``cache``), executors (``executors``), writing the outputs
(``outputs``), the build itself (``build``) and scoring labelled document sets (``validation``).
"""
