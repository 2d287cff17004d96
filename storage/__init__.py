"""The model: tables, the operations that keep them consistent, migrations."""
