"""Hardening (issue 11): nothing anyone types, uploads or breaks makes sipas crash, lie or
lose an answer."""
