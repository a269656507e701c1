"""Alerts: rules on figures, Kubernetes episodes and trends; notifications exactly when they should."""
