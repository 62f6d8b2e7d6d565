"""The routers of the pages and of the offline API docs."""
