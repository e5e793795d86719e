"""Synthetic demo data (development only): see seeding.py and the seed_demo command."""
