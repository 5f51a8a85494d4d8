"""arxiv-digest core: settings, models, the arXiv source, the digest engine, commands and the store.

Nothing in this package imports a chat platform or an LLM client.
"""
