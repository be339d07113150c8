"""Tickets' SLA timers (timer), the check that raises breaches (watch), ticket changes."""
