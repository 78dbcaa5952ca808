"""The API's routers, one per resource; each stays thin and calls the ledger."""
