"""Sandbox integration tests."""
