"""Actions integration tests."""
