"""Dates as each language writes them, never as numbers alone: "11/09/2026" is the 9th of
November to one reader and the 11th of September to another, and a follow-up date misread
by months is a missed follow-up. Times are 24-hour in every language (a contact at 14:05,
not 2:05 p.m.). Forms still read ISO dates; only what pages show changes."""
