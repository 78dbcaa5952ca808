"""Rule modules, one per docs/rules.md section (``s03_timing.py`` … ``s13_portfolio.py``).

Each module registers its checks with ``@rule`` at import. Must not import the store, the
API or the verifier.
"""
