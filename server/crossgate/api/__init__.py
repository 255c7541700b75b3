"""HTTP API: one router per audience, assembled in app.py."""
