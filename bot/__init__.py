"""The Teams edge of Switchboard: settings, composition root, bot handler, HTTP edge, telemetry."""
