"""`python ingest.py PATH...` is `qa ingest PATH...`."""

import sys

from qa.cli import main

if __name__ == "__main__":
    sys.exit(main(["ingest", *sys.argv[1:]]))
