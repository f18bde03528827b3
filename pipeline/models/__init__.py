"""Model preparation helpers (e.g. expanding bundled base models into sentence-transformers folders)."""
