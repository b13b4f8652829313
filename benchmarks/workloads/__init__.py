"""The workloads W1–W4; each takes a ``Context`` and a target kind and returns a dict."""
