"""The `emwp-bot` commands, one module each; `bot.cli` parses the command line and dispatches."""
