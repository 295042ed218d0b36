"""Sessions of every kind and their bookable slots."""
