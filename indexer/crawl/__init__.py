"""The crawler behind `govsearch crawl`: profiles, polite fetching, state, WARC archive, attachments."""
