"""The accounts area: accounts and their tokens, sign-up, confirmation, sign-in, password reset,
the sign-in limits, and their API and pages.

It may import `shared.core` and `shared.web`; neither imports it. A service adds it to its app
with `shared.accounts.app.init_accounts`.
"""
