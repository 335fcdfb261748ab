"""Search engines: the embedded Whoosh index (whoosh/) and its fast path; the Sphinx cluster is in indexer/sphinx/."""
