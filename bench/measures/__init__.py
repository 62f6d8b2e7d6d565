"""One module per row of the result table; each exposes ``measure(ctx) -> list[Row]``."""
