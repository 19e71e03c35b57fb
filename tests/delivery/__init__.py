"""The delivery engine end to end: the real Sender, PTB over loopback HTTP, a limit-enforcing fake."""
