"""Full-text search over every area's text, behind one interface (see meridian.search.services)."""
