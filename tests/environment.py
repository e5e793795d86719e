"""Loaded by pytest before Django starts (``-p tests.environment``): the test suite runs
with production settings (debug off) and fixed throwaway keys, so it needs no local file."""

import os

os.environ.setdefault("CASEWORK_DEBUG", "0")
os.environ.setdefault("CASEWORK_SECRET_KEY", "test-only-secret-key-" + "x" * 40)
os.environ.setdefault("CASEWORK_FIELD_KEYS", "dGVzdC1vbmx5LWZpZWxkLWtleS0wMDAwMDAwMDAwMDA=")
os.environ.setdefault("CASEWORK_INDEX_KEY", "test-only-index-key-0000000000000000")
os.environ.setdefault("CASEWORK_AUDIT_CHAIN_KEY", "test-only-audit-chain-key-000000000000")
os.environ.setdefault("CASEWORK_ALLOWED_HOSTS", "testserver,localhost")
os.environ.setdefault("CASEWORK_SSL_REDIRECT", "0")
