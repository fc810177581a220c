"""The identity service: accounts, log-in, tokens, forced password change, lock-out."""
