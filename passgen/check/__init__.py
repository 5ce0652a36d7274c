"""Stage 6, check: find codes in inputs, verify them, the checkpoint gate loop."""

DEFAULT_REVOCATION_MAX_AGE_HOURS = 48.0  # a list older than this is warned about
