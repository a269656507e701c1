"""Bongsu: Python-first application performance management for cloud-native services."""

__version__ = "0.1.0"

__all__ = ["__version__"]
