"""Every ORM table. Importing this package registers them all on Base.metadata."""

from habeas.models.amendments import Amendment
from habeas.models.audit import AuditEvent, AuditHead
from habeas.models.base import Base
from habeas.models.court import Charge, CourtCase, Hearing, RoomBlock, RoomBooking
from habeas.models.custody import (
    CustodyEpisode, LegalBasis, LegalBasisEvent, ReleaseCalculation, RemandPeriod, RulesFile, Sentence, SentenceAdjustment,
)
from habeas.models.housing import HousingOverride, NonAssociation
from habeas.models.movements import LocationStay, Movement
from habeas.models.operations import CountLine, CountSession, CountSubmission, Incident, WelfareRequirement, WelfareRound
from habeas.models.prisoners import (
    Affiliation, DistinguishingMark, NameToken, Prisoner, PrisonerAlias, Sequence, positions_table, prisoners_table,
)
from habeas.models.sites import Location, Site
from habeas.models.transfers import Transfer, TransferAlert, TransferItem
from habeas.models.users import ApiToken, User, WebSession

__all__ = [
    "Affiliation", "Amendment", "ApiToken", "AuditEvent", "AuditHead", "Base", "Charge", "CourtCase", "Hearing", "RoomBlock", "RoomBooking", "CountLine", "CountSession",
    "CountSubmission", "CustodyEpisode", "HousingOverride", "NonAssociation", "DistinguishingMark", "Incident", "LegalBasis", "LegalBasisEvent", "Location", "LocationStay", "Movement", "NameToken", "Prisoner", "PrisonerAlias",
    "ReleaseCalculation", "RemandPeriod", "RulesFile", "Sentence", "SentenceAdjustment", "Sequence", "Site", "Transfer", "TransferAlert", "TransferItem", "User", "WebSession", "WelfareRequirement", "WelfareRound",
    "positions_table", "prisoners_table",
]
