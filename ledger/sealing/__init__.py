"""Sealing: what the law keeps secret until the opening or the result, in the data and in
every view.

- ``classes``: which event types are bid-phase (sealed before the section's opening) or
  evaluation records (closed to outsiders until the result), and which events end a phase.
- ``keys``: the seal key file, per-section scope keys, blinded identifiers.
- ``phases``: the per-section phase book kept by the appender (opened / result indexes).
- ``batch``: how one append transaction seals events and appends ``BIDS_UNSEALED``.
- ``policy``: who may see which event when (the role × phase × class table of
  docs/sealing.md).

Must not import the API or the verifier.
"""
