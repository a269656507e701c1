"""The agent control channel: real-time active requests and on-demand diagnostics.

Agents poll and post beside the OTLP paths (``routes.py``); operators read and request
through the query API (``bongsu.api.agent``); ``registry.py`` holds what is in between.
"""
