"""View models: what each page shows, built from the query functions' answers."""
