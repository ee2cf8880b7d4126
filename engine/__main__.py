"""`python -m miniplay` is the same as the `miniplay` command."""
from .cli import main

raise SystemExit(main())
