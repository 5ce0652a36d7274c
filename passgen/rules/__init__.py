"""Stage 2, rules: the shared colour rules file, its evaluation and explanations."""
