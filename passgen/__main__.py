"""``python -m passgen`` runs the command-line interface."""

from passgen.start import main

if __name__ == "__main__":  # a spawned worker imports this module too, and must not run it
    main()
