"""Encryption at rest: key file, key ring, envelope encryption, crypto-shredding.

The only package that imports ``cryptography``. Modules:

- :mod:`.keyfile`: the JSON key file (load, generate, write atomically).
- :mod:`.keyring`: :class:`~.keyring.KeyRing`, wrapping data keys and computing blind indexes.
- :mod:`.models`: :class:`~.models.DataKey`, a wrapped per-case data key.
- :mod:`.service`: data keys, seal/unseal, shredding, KEK rotation (flush, never commit).
- :mod:`.fields`: ``encrypted("name")`` fields on models with the ``SealedRecord`` mixin.
- :mod:`.rotation`: KEK rotation as a whole (``partnercontact keys rotate`` runs it).
- :mod:`.errors`: the typed errors, all subclasses of ``CryptoError``.
"""
