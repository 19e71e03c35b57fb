"""Serving in production: the webhook and operations endpoints (ASGI, under uvicorn), the observed
application (a log line and metrics per update), and the instrumented Bot API connection."""
