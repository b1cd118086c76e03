"""Storage integration tests."""
