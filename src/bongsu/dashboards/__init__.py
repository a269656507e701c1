""""My dashboard": each user's pinned panels, per project, in the metadata database."""
