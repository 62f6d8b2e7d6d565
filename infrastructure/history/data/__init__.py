"""The sourced history as data files, read by ``infrastructure.history.rows``."""
