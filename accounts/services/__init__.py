"""Writes for accounts, by subject: `users`, `sessions` (logins, tokens, logouts), `roles`.
Each service is one transaction (CONTRACT §2.1). Callers import from the submodule."""
