"""The lowest layer: where the data lives (configuration, engines and transactions, tables, migrations)."""
