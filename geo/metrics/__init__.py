"""Metrics over the joined incident table: proximity to the border (so far)."""
