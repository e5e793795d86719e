"""The organisation's directory of service providers (not case content)."""

# Under /providers/, in the "providers" namespace.
urls = []
