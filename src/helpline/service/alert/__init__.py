"""Spike alerts to the desk and incident notices to customers."""
