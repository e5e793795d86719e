"""What every app's pages share: the doors (who may open a page), the answers for
"not found" and "not allowed", the way forms behave, CSV downloads, and the request's
membership. Views import from here and from services; no app imports another app's views.
"""
