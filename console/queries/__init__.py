"""Plain-Python reads (and a few writes) behind the console's pages; no web code here."""
