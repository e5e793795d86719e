"""Planning the demo data set from seeded random streams: people, identities, cases."""

import base64
import random
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock

from django.utils import timezone

from casework.access.models import GrantLevel, Role
from casework.cases import codes
from casework.cases.choices import (
    AgeBand,
    CaseStatus,
    ConsentGiver,
    ConsentMethod,
    ContactChannel,
    ContactPurpose,
    ExploitationType,
    Gender,
    IntakeSource,
    JourneyStage,
    Nationality,
    NeedStatus,
    ParticipantRole,
    ReferralStatus,
    Region,
    RiskLevel,
    ServiceType,
    Urgency,
)
from casework.demo.vocabulary import (
    AGE_RANGES,
    CHINESE_GIVEN,
    CHINESE_SURNAMES,
    CONSENT_SCOPES,
    CONTACT_NOTES,
    EXPLOITATION_SENTENCES,
    EXTERNAL_PROVIDERS,
    GRANT_REASONS,
    HANDLE_CHARACTERS,
    IN_PERSON_PLACES,
    KOREAN_SURNAMES,
    KOREAN_SYLLABLES,
    LAST_AREAS,
    MAX_CASE_AGE_DAYS,
    MESSENGER_APPS,
    NEED_OUTCOMES,
    ORGANISATIONS,
    PASSWORD_WORDS,
    PLACE_KINDS,
    PRIORITY_SENTENCES,
    PROVIDERS,
    REFERRAL_OUTCOMES,
    SAFETY_NOTES,
    SITUATION_SENTENCES,
)

# Randomness -----------------------------------------------------------------------


def stream(seed, name):
    """An independent random stream per purpose, so adding cases never changes the people.

    Not for secrets: demo data must be reproducible, which is the opposite of secret.
    Seeding with a string hashes it with SHA-512, the same on every run and platform.
    """
    return random.Random(f"casework-demo:{seed}:{name}")  # noqa: S311


def _weights(choices, spec):
    """("value", ...), (weight, ...) from "value:weight value:weight", checked against ``choices``."""
    pairs = [item.rsplit(":", 1) for item in spec.split()]
    unknown = [value for value, _weight in pairs if value not in choices.values]
    if unknown:
        raise ValueError(f"Not a {choices.__name__} value: {unknown}")
    return tuple(value for value, _weight in pairs), tuple(int(weight) for _value, weight in pairs)


def _pick(rng, table):
    values, weights = table
    return rng.choices(values, weights=weights)[0]


def _uid(rng):
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _moment(day, hour, minute=0):
    return timezone.make_aware(datetime.combine(day, clock(hour, minute)))


def _day_between(rng, first, last):
    return first + timedelta(days=rng.randint(0, max((last - first).days, 0)))


# How often each value occurs; roughly the caseload the first users describe.
RISK = _weights(RiskLevel, "low:20 medium:45 high:25 critical:10")
AGE_BANDS = _weights(AgeBand, "unknown:5 0-13:4 14-17:12 18-24:30 25-34:30 35-49:15 50+:4")
GENDERS = _weights(Gender, "female:90 male:4 other:2 undisclosed:4")
NATIONALITIES = _weights(Nationality, "KP:75 CN:8 KR:2 stateless:8 other:2 unknown:5")
# Her journey: where it stands when the case opens, how many steps it has come by now, and
# where each stage is lived: China's provinces (the northeast most), third countries on the
# routes south and north, an embassy in one of them, then South Korea.
FIRST_STAGES = _weights(JourneyStage, "exploitation:55 hiding:33 transit:8 embassy:4")
STEP_COUNTS = ((1, 2, 3, 4, 5), (30, 28, 20, 13, 9))
STAGE_REGIONS = {
    JourneyStage.EXPLOITATION: _weights(
        Region, "CN-JL:20 CN-LN:16 CN-HL:14 CN-SD:9 CN-HE:6 CN-BJ:4 CN-NM:5 CN-YN:3 CN-GX:2 CN-other:6"
    ),
    JourneyStage.HIDING: _weights(
        Region, "CN-JL:18 CN-LN:14 CN-HL:8 CN-SD:6 CN-HE:4 CN-BJ:3 CN-NM:4 CN-YN:10 CN-GX:8 CN-other:5"
    ),
    JourneyStage.TRANSIT: _weights(Region, "LA:30 VN:18 KH:8 MM:8 TH:8 MN:18 RU:4 transit:6"),
    JourneyStage.EMBASSY: _weights(Region, "TH:50 MN:20 LA:12 VN:10 KH:8"),
    JourneyStage.RESETTLED: _weights(Region, "KR:1"),
    JourneyStage.INTEGRATING: _weights(Region, "KR:1"),
}
EXPLOITATION = _weights(ExploitationType, "forced_marriage:40 sexual:20 cybersex:20 labour:8 domestic:10 other:2")
INTAKE = _weights(IntakeSource, "self:15 family:15 partner:30 broker:20 hotline:15 other:5")
GRANT_LEVELS = _weights(GrantLevel, "view:50 edit:30 reveal:20")
URGENCIES = _weights(Urgency, "low:15 normal:50 high:25 urgent:10")
OPEN_NEED_STATUSES = _weights(NeedStatus, "identified:30 in_progress:35 met:20 unmet:8 declined:7")
CLOSED_NEED_STATUSES = _weights(NeedStatus, "met:70 unmet:20 declined:10")
OPEN_REFERRAL_STATUSES = _weights(ReferralStatus, "draft:10 sent:20 accepted:25 declined:10 completed:25 withdrawn:10")
CLOSED_REFERRAL_STATUSES = _weights(ReferralStatus, "completed:60 declined:20 withdrawn:20")
CHANNELS = _weights(ContactChannel, "in_person:35 phone:20 secure_messenger:35 intermediary:10")
PURPOSES = _weights(
    ContactPurpose, "check_in:35 assessment:15 safety_planning:15 referral:15 accompaniment:10 crisis:5 other:5"
)
NEED_CATEGORIES = [value for value in ServiceType.values if value != ServiceType.OTHER]
EXTRA_PARTICIPANTS = ("interpreter", "intermediary", "family", "partner_staff")


# People ---------------------------------------------------------------------------


@dataclass(frozen=True)
class UserPlan:
    username: str
    password: str
    totp_key: bytes
    role: str
    organisation: str
    teams: tuple = ()
    supervises: tuple = ()
    supervises_all: bool = False

    @property
    def totp_secret(self):
        return base64.b32encode(self.totp_key).decode().rstrip("=")

    def manifest_entry(self):
        return {
            "username": self.username,
            "password": self.password,
            "totp_secret": self.totp_secret,
            "role": self.role,
            "organisation": self.organisation,
            "teams": list(self.teams),
            "supervises": list(self.supervises),
        }


@dataclass
class OrganisationPlan:
    slug: str
    name: str
    teams: list  # (slug, name)
    users: list  # UserPlan, the admin first
    providers: list  # dicts of ServiceProvider fields

    @property
    def team_slugs(self):
        return [slug for slug, _name in self.teams]

    def caseworkers(self, team):
        return [u.username for u in self.users if u.role == Role.CASEWORKER and team in u.teams]

    def supervisor_of(self, team):
        return f"{self.slug}-sup-{team}"

    @property
    def admin(self):
        return f"{self.slug}-admin"


def _people_of(slug, teams):
    """(username, role, teams, supervises, supervises_all) for every person of one organisation."""
    team_slugs = tuple(team for team, _name, _count in teams)
    people = [(f"{slug}-admin", Role.ADMIN, (), (), False), (f"{slug}-sup-all", Role.SUPERVISOR, (), team_slugs, True)]
    people += [(f"{slug}-sup-{team}", Role.SUPERVISOR, (), (team,), False) for team in team_slugs]
    for team, _name, count in teams:
        people += [(f"{slug}-cw-{team}-{n}", Role.CASEWORKER, (team,), (), False) for n in range(1, count + 1)]
    people.append((f"{slug}-reports", Role.REPORTING, (), (), False))  # the reports only, never a case
    return people


def demo_usernames():
    return [person[0] for slug, _name, teams in ORGANISATIONS for person in _people_of(slug, teams)]


def _password(rng):
    # Three words and a number: long enough for the validators, in no common-password list, easy to type.
    return "-".join([*rng.sample(PASSWORD_WORDS, 3), str(rng.randint(10, 99))])


def plan_people(seed):
    rng = stream(seed, "people")
    organisations = []
    for slug, name, teams in ORGANISATIONS:
        users = [
            UserPlan(username, _password(rng), rng.randbytes(20), role, slug, member_of, supervises, every_team)
            for username, role, member_of, supervises, every_team in _people_of(slug, teams)
        ]
        providers = [
            {"name": p[0], "services": p[1], "region": p[2], "secure_channel": p[3]}
            for p in stream(seed, f"providers:{slug}").sample(PROVIDERS, 7)
        ]
        team_names = [(team, team_name) for team, team_name, _count in teams]
        organisations.append(OrganisationPlan(slug, name, team_names, users, providers))
    return organisations


# Identities -----------------------------------------------------------------------
# Written encrypted, as identity_save writes them; the manifest carries their clear
# values for tests and tools only, so a manifest file is a secret, synthetic or not.


def _korean_name(rng):
    surname, given = rng.choice(KOREAN_SURNAMES), rng.sample(KOREAN_SYLLABLES, 2)
    hangul = surname[0] + given[0][0] + given[1][0]
    return hangul, f"{surname[1]} {given[0][1].capitalize()}-{given[1][1]}"


def _chinese_name(rng):
    surname, given = rng.choice(CHINESE_SURNAMES), rng.sample(CHINESE_GIVEN, rng.randint(1, 2))
    han = surname[0] + "".join(char for char, _pinyin in given)
    return han, f"{surname[1]} {''.join(pinyin for _char, pinyin in given).capitalize()}"


def _phone(rng, region):
    if region == Region.SOUTH_KOREA:
        return f"+82 10-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}"
    return f"+86 1{rng.randint(30, 99)} {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}"


def _messenger(rng, region):
    app = "KakaoTalk" if region == Region.SOUTH_KOREA else rng.choice(MESSENGER_APPS)
    return f"{app}: {''.join(rng.choices(HANDLE_CHARACTERS, k=8))}"


def synthetic_identity(rng, *, nationality, age_band, region, today):
    """A made-up identity consistent with a case's coarse profile, as the manifest holds it.

    Korean survivors in China usually carry a Chinese alias, so aliases mix scripts and
    romanisations. The birth date matches the age band. Some also have a messenger handle
    and a coarse last known location ("messengers", "last_location").
    """
    korean, chinese = _korean_name(rng), _chinese_name(rng)
    if nationality == Nationality.CHINA:
        legal_name, other_names = chinese[0], [chinese[1]]
    else:
        legal_name, other_names = korean[0], [korean[1]]
        if rng.random() < 0.6:
            other_names += [chinese[0], chinese[1]]
    youngest, oldest = AGE_RANGES[age_band]
    age_days = rng.randint(youngest * 365 + 1, oldest * 365 + 360)
    identity = {
        "legal_name": legal_name,
        "other_names": other_names,
        "phone": _phone(rng, region),
        "date_of_birth": (today - timedelta(days=age_days)).isoformat(),
    }
    if rng.random() < 0.5:
        identity["messengers"] = [_messenger(rng, region)]
    if region in LAST_AREAS and rng.random() < 0.4:
        identity["last_location"] = f"{rng.choice(PLACE_KINDS)} in {LAST_AREAS[region]}"
    return identity


def identity_values(identity):
    """The Identity field values (as Identity.write and identity_save take them) of a
    manifest identity."""
    values = {
        "legal_name": identity["legal_name"],
        "other_names": list(identity["other_names"]),
        "phones": [identity["phone"]],
        "date_of_birth": date.fromisoformat(identity["date_of_birth"]),
    }
    values.update({name: identity[name] for name in ("messengers", "last_location") if name in identity})
    return values


# Cases ----------------------------------------------------------------------------


@dataclass
class GrantPlan:
    username: str
    level: str
    reason: str
    expires_at: datetime | None
    granted_by: str


@dataclass
class CasePlan:
    organisation: str
    team: str
    lead: str
    coworkers: list
    manager: str  # the team supervisor who assigns co-workers
    fields: dict  # Case model fields
    grants: list = field(default_factory=list)
    needs: list = field(default_factory=list)  # dicts of SupportNeed fields, usernames for users
    referrals: list = field(default_factory=list)  # ... "need" is an index into needs
    contacts: list = field(default_factory=list)
    journey: list = field(default_factory=list)  # dicts of JourneyStep fields, oldest first
    identity: dict = field(default_factory=dict)

    @property
    def code(self):
        return self.fields["code"]

    def manifest_entry(self):
        return {
            "code": self.code,
            "organisation": self.organisation,
            "team": self.team,
            "caseworkers": [self.lead, *self.coworkers],
            "grants": [{"username": grant.username, "level": grant.level} for grant in self.grants],
            "identity": self.identity,
        }


def plan_cases(seed, count, organisations, today):
    """Yield ``count`` planned cases; one stream for cases, others for journeys and identities."""
    rng, identities, used_codes = stream(seed, "cases"), stream(seed, "identities"), set()
    journeys = stream(seed, "journeys")
    weights = [len(org.teams) for org in organisations]
    for _ in range(count):
        org = rng.choices(organisations, weights=weights)[0]
        plan = _plan_case(rng, org, today, used_codes)
        plan.journey = _plan_journey(journeys, plan, today)
        # As the journey service keeps them: the case's stage and region are its latest step's.
        plan.fields["stage"], plan.fields["region"] = plan.journey[-1]["stage"], plan.journey[-1]["region"]
        plan.identity = synthetic_identity(
            identities,
            nationality=plan.fields["nationality"],
            age_band=plan.fields["age_band"],
            region=plan.fields["region"],
            today=today,
        )
        yield plan


def _plan_case(rng, org, today, used_codes):
    team = rng.choice(org.team_slugs)
    workers = org.caseworkers(team)
    lead = rng.choice(workers)
    coworkers = [rng.choice([w for w in workers if w != lead])] if rng.random() < 0.35 else []
    plan = CasePlan(org.slug, team, lead, coworkers, org.supervisor_of(team), _case_fields(rng, today, used_codes))
    plan.grants = _plan_grants(rng, org, team, today)
    plan.needs = _plan_needs(rng, plan, today)
    plan.referrals = _plan_referrals(rng, plan, org, today)
    plan.contacts = _plan_contacts(rng, plan, today)
    if plan.contacts and plan.fields["closed_on"] is None:
        # As the contact services keep it: the latest contact sets the next follow-up.
        plan.fields["follow_up_on"] = max(plan.contacts, key=lambda c: c["occurred_at"])["follow_up_on"]
    return plan


def _case_code(rng, used_codes):
    # Same alphabet and check character as codes.generate, from the seeded stream instead of secrets.
    while True:
        body = "".join(rng.choices(codes.ALPHABET, k=codes.BODY_LENGTH))
        code = body + codes.check_character(body)
        if code not in used_codes:
            used_codes.add(code)
            return code


def _case_fields(rng, today, used_codes):
    opened_on = today - timedelta(days=rng.randint(1, MAX_CASE_AGE_DAYS))
    status, closed_on = _case_status(rng, opened_on, today)
    risk_level = _pick(rng, RISK)
    exploitation = sorted({_pick(rng, EXPLOITATION) for _ in range(rng.randint(1, 2))})
    return {
        "code": _case_code(rng, used_codes),
        "status": status,
        "opened_on": opened_on,
        "closed_on": closed_on,
        "risk_level": risk_level,
        "age_band": _pick(rng, AGE_BANDS),
        "gender": _pick(rng, GENDERS),
        "nationality": _pick(rng, NATIONALITIES),
        "exploitation_types": exploitation,
        "intake_source": _pick(rng, INTAKE),
        "summary": _summary(rng, exploitation, risk_level),
        "created_at": _moment(opened_on, rng.randint(8, 18), rng.randint(0, 59)),
    }


def _case_status(rng, opened_on, today):
    age = (today - opened_on).days
    if age > 30 and rng.random() < 0.2:
        return CaseStatus.CLOSED, opened_on + timedelta(days=rng.randint(14, age - 1))
    if age < 45 and rng.random() < 0.6:
        return CaseStatus.OPEN, None
    return CaseStatus.ACTIVE, None


def _summary(rng, exploitation, risk_level):
    sentences = [EXPLOITATION_SENTENCES[exploitation[0]], rng.choice(SITUATION_SENTENCES)]
    sentences.append(rng.choice(PRIORITY_SENTENCES))
    if risk_level in (RiskLevel.HIGH, RiskLevel.CRITICAL):
        sentences.append("The risk of being found by the people who exploited the survivor is high.")
    return " ".join(sentences)


def _last_day(plan, today):
    """The last day anything can have happened on the case: closure, or yesterday."""
    return plan.fields["closed_on"] or today - timedelta(days=1)


def _plan_grants(rng, org, team, today):
    if rng.random() >= 0.2:
        return []
    others = [name for other in org.team_slugs if other != team for name in org.caseworkers(other)]
    grants = []
    for username in rng.sample(others, rng.randint(1, 2)):
        expires = _moment(today + timedelta(days=rng.randint(14, 120)), 18) if rng.random() < 0.5 else None
        granter = org.supervisor_of(team) if rng.random() < 0.75 else org.admin
        grants.append(GrantPlan(username, _pick(rng, GRANT_LEVELS), rng.choice(GRANT_REASONS), expires, granter))
    return grants


def _plan_needs(rng, plan, today):
    closed, last_day = plan.fields["closed_on"] is not None, _last_day(plan, today)
    needs = []
    for category in rng.sample(NEED_CATEGORIES, rng.randint(1, 4)):
        identified_on = _day_between(rng, plan.fields["opened_on"], last_day)
        status = _pick(rng, CLOSED_NEED_STATUSES if closed else OPEN_NEED_STATUSES)
        is_settled = status in NEED_OUTCOMES
        needs.append(
            {
                "uid": _uid(rng),
                "category": category,
                "urgency": _pick(rng, URGENCIES),
                "status": status,
                "owner": plan.lead if rng.random() < 0.8 else None,
                "identified_on": identified_on,
                "due_on": identified_on + timedelta(days=rng.randint(7, 90)),
                "closed_on": _day_between(rng, identified_on, last_day) if is_settled else None,
                "outcome_notes": NEED_OUTCOMES.get(status, ""),
                "created_by": plan.lead,
                "created_at": _moment(identified_on, rng.randint(8, 18)),
            }
        )
    return needs


def _plan_referrals(rng, plan, org, today):
    closed = plan.fields["closed_on"] is not None
    referrals = []
    for index, need in enumerate(plan.needs):
        if rng.random() < 0.5:
            continue
        status = _pick(rng, CLOSED_REFERRAL_STATUSES if closed else OPEN_REFERRAL_STATUSES)
        offering = [p["name"] for p in org.providers if need["category"] in p["services"]]
        provider = rng.choice(offering) if offering and rng.random() < 0.75 else None
        referral = {
            "uid": _uid(rng),
            "need": index,
            "provider": provider,
            "external_provider": "" if provider else rng.choice(EXTERNAL_PROVIDERS),
            "service_type": need["category"],
            "urgency": need["urgency"],
            "status": status,
            "outcome": REFERRAL_OUTCOMES.get(status, ""),
            "created_by": plan.lead,
        }
        referral.update(_referral_dates(rng, plan, need, status, today))
        referral.update(_referral_consent(rng, plan, referral))
        referrals.append(referral)
    return referrals


def _referral_dates(rng, plan, need, status, today):
    last_day = _last_day(plan, today)
    created_on = _day_between(rng, need["identified_on"], last_day)
    dates = {"created_at": _moment(created_on, rng.randint(8, 18)), "sent_on": None}
    if status != ReferralStatus.DRAFT:
        dates["sent_on"] = _day_between(rng, created_on, min(created_on + timedelta(days=7), last_day))
    if status in (ReferralStatus.ACCEPTED, ReferralStatus.DECLINED, ReferralStatus.COMPLETED):
        dates["responded_on"] = min(dates["sent_on"] + timedelta(days=rng.randint(1, 14)), last_day)
    if status in (ReferralStatus.COMPLETED, ReferralStatus.WITHDRAWN):
        start = dates.get("responded_on") or dates["sent_on"]
        dates["closed_on"] = min(start + timedelta(days=rng.randint(1, 60)), last_day)
    return dates


def _referral_consent(rng, plan, referral):
    """The consent a referral rests on; a draft may not have it yet."""
    if referral["status"] == ReferralStatus.DRAFT and rng.random() < 0.7:
        return {}
    given_on = (referral["sent_on"] or referral["created_at"].date()) - timedelta(days=rng.randint(0, 3))
    given_on = max(given_on, plan.fields["opened_on"])
    minor = plan.fields["age_band"] in (AgeBand.UNDER_14, AgeBand.TEEN)
    scope, shared = rng.choice(CONSENT_SCOPES)
    method = rng.choice(ConsentMethod.values)
    return {
        "consent_given_by": ConsentGiver.GUARDIAN if minor else ConsentGiver.SURVIVOR,
        "consent_given_on": given_on,
        "consent_method": method,
        "consent_witness": "Interpreter" if method == ConsentMethod.VERBAL_WITNESSED else "",
        "consent_scope": list(scope),
        "consent_recipient": referral["provider"] or "The receiving provider only",
        "consent_expires_on": given_on + timedelta(days=rng.choice((90, 180, 365))),
        "data_shared": shared if referral["status"] != ReferralStatus.DRAFT else "",
    }


def _plan_contacts(rng, plan, today):
    last_day, workers = _last_day(plan, today), [plan.lead, *plan.coworkers]
    days = sorted(_day_between(rng, plan.fields["opened_on"], last_day) for _ in range(rng.randint(1, 5)))
    contacts = []
    for day in days:
        channel, purpose = _pick(rng, CHANNELS), _pick(rng, PURPOSES)
        safety_concern = rng.random() < 0.12
        contacts.append(
            {
                "uid": _uid(rng),
                "occurred_at": _moment(day, rng.randint(7, 20), rng.choice((0, 15, 30, 45))),
                "duration_minutes": rng.choice((10, 15, 20, 30, 45, 60, 90)),
                "channel": channel,
                "place": _contact_place(rng, channel),
                "participants": _participants(rng, channel),
                "purpose": purpose,
                "notes": rng.choice(SAFETY_NOTES if safety_concern else CONTACT_NOTES[purpose]),
                "safety_concern": safety_concern,
                "follow_up_on": day + timedelta(days=rng.randint(3, 21)) if rng.random() < 0.4 else None,
                "created_by": rng.choice(workers),
            }
        )
    for contact in contacts:
        contact["created_at"] = contact["occurred_at"] + timedelta(hours=2)
    return contacts


def _plan_journey(rng, plan, today):
    """One to five steps in the order journeys run, dated in order: the first on or before
    the day the case opened (she was somewhere already), the others after it, never beyond
    the case's last day nor before the earliest case date (birth dates stay out of reach)."""
    opened_on, last_day = plan.fields["opened_on"], _last_day(plan, today)
    earliest = max(today - timedelta(days=MAX_CASE_AGE_DAYS), opened_on - timedelta(days=365))
    stages = JourneyStage.values
    first = stages.index(_pick(rng, FIRST_STAGES))
    wanted = rng.choices(*STEP_COUNTS)[0]
    days = [_day_between(rng, earliest, opened_on)]
    while len(days) < wanted and first + len(days) < len(stages):
        following = max(days[-1], opened_on) + timedelta(days=rng.randint(7, 150))
        if following > last_day:
            break
        days.append(following)
    workers, journey = [plan.lead, *plan.coworkers], []
    for n, day in enumerate(days):
        stage = stages[first + n]
        journey.append(
            {
                "uid": _uid(rng),
                "stage": stage,
                "region": _pick(rng, STAGE_REGIONS[stage]),
                "started_on": day,
                # The first step was recorded at intake, by the lead; the others on their day.
                "created_by": plan.lead if n == 0 else rng.choice(workers),
                "created_at": plan.fields["created_at"] if n == 0 else _moment(day, rng.randint(8, 18)),
            }
        )
    return journey


def _contact_place(rng, channel):
    if channel == ContactChannel.IN_PERSON:
        return rng.choice(IN_PERSON_PLACES)
    return "Through a partner" if channel == ContactChannel.INTERMEDIARY else "Remote"


def _participants(rng, channel):
    participants = [ParticipantRole.SURVIVOR.value, ParticipantRole.CASEWORKER.value]
    if channel == ContactChannel.INTERMEDIARY:
        participants.append(ParticipantRole.INTERMEDIARY.value)
    elif rng.random() < 0.3:
        participants.append(rng.choice(EXTRA_PARTICIPANTS))
    return participants
