"""Writes to cases and their records. Views call these; nothing else saves case data.

Each service checks the caller's permission again (views already did: this is the second
lock on the door), runs in one transaction with its audit entries, and refuses to write
over a version newer than the one the editor started from.
"""
