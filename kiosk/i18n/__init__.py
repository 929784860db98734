"""Languages: catalogs, the fallback chain, CLDR formatting and right-to-left shaping."""
