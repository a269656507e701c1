"""Diagnostics: analyzers that read captures and memory series (thread dumps, memory compare, OOM verdicts, data trends)."""
