"""Stage 3, passes: signing keys, PG1 passes, issuing cards and revocation lists."""
