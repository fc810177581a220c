"""The claim-status service: event-sourced claims and per-customer read models."""
