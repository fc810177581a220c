"""The registration service: both registration journeys of the customer guide."""
