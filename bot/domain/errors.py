"""Domain errors: what a use case refuses, with a message id the adapters turn into text."""

from __future__ import annotations


class DomainError(Exception):
    """A refusal a user should hear about; `message_id` names the text, `values` fill it."""

    message_id = "error.generic"

    def __init__(self, message_id: str | None = None, **values: object) -> None:
        super().__init__(message_id or self.message_id)
        if message_id:
            self.message_id = message_id
        self.values = values


class NotAllowed(DomainError):
    """The actor's role, status, chat or TLP does not permit this."""

    message_id = "error.not_allowed"


class NotFound(DomainError):
    """The thing asked for does not exist (or the actor may not know it exists)."""

    message_id = "error.not_found"


class InvalidInput(DomainError):
    """The value given is malformed; the message says what was expected."""

    message_id = "error.invalid"


class Conflict(DomainError):
    """The state changed under the actor: already decided, already a member, used up."""

    message_id = "error.conflict"
