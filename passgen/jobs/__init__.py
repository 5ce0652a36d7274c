"""The batches that join the stages at the edges: files, keys, clock, ledger, report."""
