"""ARM resource providers the sandbox models: one module per provider namespace."""
