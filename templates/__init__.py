"""Card layout templates shipped with passgen (package data, from the top-level templates/)."""
