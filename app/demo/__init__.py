"""Demo data: a realistic Liling for trying the site and for load tests."""
