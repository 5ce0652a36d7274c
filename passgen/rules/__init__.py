"""Stage 2, rules: the shared colour rules file, its evaluation and explanations.

``load_rules`` reads and validates a rules file (``load``), ``evaluate`` and ``explain`` apply
it to one resident (``engine``), ``show`` and ``explain_rows`` are the officials' views
(``views``)."""

from passgen.rules.engine import Explanation, evaluate, explain
from passgen.rules.load import Rules, default_rules_bytes, load_rules, parse_rules, rules_of

__all__ = ["Explanation", "Rules", "default_rules_bytes", "evaluate", "explain", "load_rules",
           "parse_rules", "rules_of"]
