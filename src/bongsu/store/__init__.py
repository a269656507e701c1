"""Telemetry storage. The only package that speaks SQL."""
