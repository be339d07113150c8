"""Helpline: a customer-support chatbot with human handoff."""

__version__ = "0.1.0"
