"""emwp-bot: the EMWP working party's information-exchange bot."""

__version__ = "0.1.0"
