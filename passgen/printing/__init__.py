"""Stage 5, printing: layouts as data and the PDF writers for cards and posters."""
