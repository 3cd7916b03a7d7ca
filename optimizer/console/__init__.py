"""The operator console: a read-only web page, JSON API and Prometheus metrics over the
decision log (and, inside ``plantloop run``/``demo``, the live loop). The only place that
imports FastAPI, uvicorn or prometheus_client; nothing outside the CLI imports it."""
