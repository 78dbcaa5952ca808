"""The ledger's signing keys, wherever they live: 0600 files or a PKCS#11 token (HSM).

- ``config``: the ``WITNESS_HSM_*`` settings (module, token, PIN source, key labels).
- ``hsm``: one token: sessions, key lookup, generation, import, relabelling, signing.
- ``ed25519`` / ``secp256k1``: keys in the token as the log key, the checkpoint signer and
  the anchorer account (low-s, recovery id, transactions).
- ``slots``: where each role's key lives; current, next and retired keys.
- ``log_key`` / ``log_rotation``: the log key the log's history names, and rotating it.
The registry side of rotations (checkpoint signer, anchorer) is ``ledger.anchoring.rotation``.
Must not import the API or the verifier.
"""
