"""Server-rendered pages over the same queries as the JSON API, and the offline API docs."""

from api.web.app import install_web

__all__ = ["install_web"]
