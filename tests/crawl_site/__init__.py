"""A small government web site served on 127.0.0.1 for the crawler tests."""
