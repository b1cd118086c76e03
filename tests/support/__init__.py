"""Plain helper modules shared by tests: local stand-ins for true external boundaries."""
