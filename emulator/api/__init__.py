"""The HTTP layer: parse requests, call the domain, render answers. No state lives here."""
