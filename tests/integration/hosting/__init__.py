"""Hosting integration tests."""
