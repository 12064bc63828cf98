"""Where a response enters: validation and storage of one submission, rate limits, keyed hashes."""
