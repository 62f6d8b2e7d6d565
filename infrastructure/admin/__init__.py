"""Managing stores: their layout and format, set-up, checks, upgrades and backups."""
