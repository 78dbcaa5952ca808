"""Early warning and violation leads: the rule catalogue of docs/rules.md as pure functions.

A rule reads one project's trail (its events in log order) plus reference data and yields
findings that cite their evidence events by log index. Rule modules must not import the
store, the API or the verifier; the engine that persists findings and raises leads does.
"""
