"""Sample rosters of a fictional community and the script that generates them."""
