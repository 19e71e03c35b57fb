"""Background engines, beside the update handlers: the sender of the outbox and what it asks of the
renderers (messages made again, notices released when due)."""
