"""Stage 6, check: find codes in inputs, verify them, the checkpoint gate loop."""
