"""Writes for accounts, by subject: `users`, `sessions` (logins, tokens, logouts), `roles`.
Each service is one transaction. Callers import from the submodule."""
