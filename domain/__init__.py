"""The label domain: events, aggregates and invariants, free of I/O."""
