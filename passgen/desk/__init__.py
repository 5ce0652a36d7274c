"""``passgen desk``: the clerk's desk, a local web application in the clerk's own browser
(DESIGN.md §10, docs/desk.md).  Every action is a thin call of the library functions the
command line uses; ``guard`` makes it safe as a local server."""
