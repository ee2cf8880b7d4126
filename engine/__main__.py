"""`python -m miniplay` is the same as the `miniplay` command."""
from .cli.main import entry

entry()
