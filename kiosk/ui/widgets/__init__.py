"""Reusable widgets: labels that escape and shape text, tiles, cards, header and footer."""
