"""The shared colour rule sets shipped with passgen (package data)."""
