"""Carrier adapters: the Carrier protocol and the embedded sandbox carrier."""
