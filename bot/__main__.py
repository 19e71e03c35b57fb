"""`python -m bot` is `emwp-bot`."""

from bot.cli import main

raise SystemExit(main())
