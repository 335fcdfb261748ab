"""The embedded Whoosh engine and its fast path: schema, bulk segment writer and codec, evaluation on
arrays, columns, searchers, and the backend's reader and writer. README.md here describes the format."""
