"""Developer tooling: local run, test services, doc generators. Not deployed."""
