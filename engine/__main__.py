"""`python -m miniplay` is the same as the `miniplay` command."""
from .cli.main import main

raise SystemExit(main())
