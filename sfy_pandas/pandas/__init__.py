"""The pandas face: ``df.salesfinity``."""
