"""Loopback stand-ins for external services, used by the tests and the benchmarks. The servers live
in the project's `demo` package (demo mode runs them too); these modules re-export them."""
