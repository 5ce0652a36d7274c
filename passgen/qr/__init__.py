"""Stage 4, QR: text → module matrix, nothing else (writers take matrices)."""
