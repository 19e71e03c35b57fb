"""Protocols the storage layer implements; services depend on these, never on SQLAlchemy.

One module per area; every protocol is importable from `bot.ports` itself.
"""

from bot.ports.delivery import NoticeRepository, OutboxRepository, SendBudget, SubscriptionRepository
from bot.ports.exchange import FollowRepository, UpdateRepository
from bot.ports.people import AccessRequestRepository, GroupRepository, InviteRepository, MemberRepository
from bot.ports.privacy import ArchiveRepository, PersonalDataRepository, RetentionRepository
from bot.ports.records import AuditRepository
from bot.ports.reference import CatalogRepository, EventRepository, InitiativeRepository, SearchRepository
from bot.ports.rounds import RoundRepository
from bot.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory, heavy_reads, long_reads, reads_are_heavy

__all__ = [
    "AccessRequestRepository",
    "ArchiveRepository",
    "AuditRepository",
    "CatalogRepository",
    "EventRepository",
    "FollowRepository",
    "GroupRepository",
    "InitiativeRepository",
    "InviteRepository",
    "MemberRepository",
    "NoticeRepository",
    "OutboxRepository",
    "PersonalDataRepository",
    "RetentionRepository",
    "RoundRepository",
    "SearchRepository",
    "SendBudget",
    "SubscriptionRepository",
    "UnitOfWork",
    "UnitOfWorkFactory",
    "UpdateRepository",
    "heavy_reads",
    "long_reads",
    "reads_are_heavy",
]
