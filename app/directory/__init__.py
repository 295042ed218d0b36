"""People and places: institutions, townships, venues, specialties, experts."""
