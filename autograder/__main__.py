"""Entry point of ``python -m autograder``."""
from .cli import main

if __name__ == "__main__":
    main()
