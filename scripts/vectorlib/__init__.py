"""Parts of ``scripts/gen_vectors.py``: one module per vector file that is not a tree proof."""
