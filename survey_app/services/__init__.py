"""Service layer: queries and transactions live here, views stay thin."""
