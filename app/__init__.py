"""The composition root: settings gathered from each package's section, the one place objects are built,
and the per-process runtime the hosts hold.

Importing this package is free; :mod:`app.runtime` stays cheap (``import function_app``), and
:mod:`app.composition` (botbuilder, the Azure SDKs) loads on first request.
"""
