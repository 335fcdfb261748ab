"""The Sphinx (SphinxQL) backend: sharded RT indexes on N searchd nodes, fed from the record store.

Entry points: SphinxBackend (engine), SphinxWriter / ingest_to_sphinx / sync_cluster (writer),
sync_to_sphinx / check_cluster (sync), Cluster (cluster: searchd processes for tests and small setups).
See docs/operators.md.
"""
