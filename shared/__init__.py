"""Code two or more services need, in three packages that import in one direction:
`core` (infrastructure) <- `web` (Flask glue) <- `accounts` (the accounts area)."""
