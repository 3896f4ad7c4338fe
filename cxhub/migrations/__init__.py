"""Ordered SQL migrations, applied by cxhub.db.migrate."""
