"""``python -m skfashion COMMAND``: the benchmarks of an installed skfashion."""

import sys

from skfashion.benchmarks import main

if __name__ == "__main__":
    sys.exit(main())
