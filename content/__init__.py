"""What the bot says: UI catalogs (`locales/`), and later the knowledge base and seed data."""
