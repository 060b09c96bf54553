"""Business rules: plain async functions that take the acting user explicitly."""
