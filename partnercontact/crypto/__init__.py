"""Encryption at rest. The only package that imports ``cryptography``."""
