"""The inbox's reads (selectors), by subject."""
