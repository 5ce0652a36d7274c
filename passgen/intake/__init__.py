"""Stage 1, intake: roster and venue spreadsheets → validated rows or row errors."""
