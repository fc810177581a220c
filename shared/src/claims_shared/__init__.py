"""What every service of the claims-status platform needs, provided once."""
