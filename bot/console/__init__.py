"""Console mode: the real Application with the Bot API served in-process."""
