def pytest_configure(config) -> None:
    # Deselect the process-level smoke tests with `-m "not smoke"`; they run by default.
    config.addinivalue_line("markers", "smoke: starts real processes (devserver); deselect with -m 'not smoke'")
