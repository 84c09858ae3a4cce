"""``python -m quotestance download``: install the models (see ``quotestance._download``)."""

import sys

from . import _download

USAGE = "usage: python -m quotestance download [--models-dir DIR] [--wheel FILE] [--force]"


def main(argv: list) -> int:
    if not argv or argv[0] != "download":
        print(USAGE, file=sys.stderr)
        return 2
    _download.main(argv[1:])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
