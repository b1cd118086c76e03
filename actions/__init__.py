"""Platform actions: one module per action, declared with :mod:`actions.spec`, listed in :mod:`actions.registry`."""
