"""Use cases: plain values in, a unit of work owned, domain results out."""
