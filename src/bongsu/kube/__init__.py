"""Kubernetes as a source: cluster watches, episodes explained, pods against limits."""
