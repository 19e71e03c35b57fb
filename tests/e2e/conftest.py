"""The fake Bot API and the bot-process launcher, shared by the end-to-end modules."""

from tests.e2e.test_polling import fake_api, launch

__all__ = ["fake_api", "launch"]
