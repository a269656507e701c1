"""Alerts: rules on figures, Kubernetes episodes and trends; notifications when they should."""
