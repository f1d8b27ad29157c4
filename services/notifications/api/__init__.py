"""The notifications API: one module per resource."""
