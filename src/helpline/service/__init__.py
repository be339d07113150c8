"""The application services: conversation turns, the agent desk, mail; no transport."""
