"""People on every service: who is calling (tokens signed by the accounts service, checked with
its public keys), the signed-in person on pages (the platform's session cookie), and each
service's copy of the people it knows, kept up to date from `account.*` events.

The accounts themselves (passwords, sign-up, sign-in...) live in the accounts service
(`services/accounts/`). This package may import `shared.core` and `shared.web`; neither imports it.
"""
