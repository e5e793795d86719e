"""The words, names and proportions the demo data is drawn from."""

from casework.cases.choices import (
    AgeBand,
    ContactPurpose,
    ExploitationType,
    NeedStatus,
    ReferralStatus,
    Region,
)

DEFAULT_CASES = 40
# Up to this many cases go through the services (with their audit entries); above it,
# bulk inserts, so that a load-test data set of 100,000 cases takes minutes, not hours.
SERVICES_LIMIT = 200
BATCH_SIZE = 2000
# Case dates stay within this many days before today and birth dates are at least eight
# years back, so no date in the case records can ever equal a synthetic birth date.
MAX_CASE_AGE_DAYS = 900

# slug, name, teams as (slug, name, number of caseworkers).
ORGANISATIONS = (
    ("haven", "Haven Support Network", (("north", "North", 3), ("south", "South", 3), ("transit", "Transit", 2))),
    ("bridge", "Bridge Partners", (("intake", "Intake", 4), ("resettlement", "Resettlement", 3))),
)

# Vocabulary -----------------------------------------------------------------------

_WORDS = (
    "amber anchor apricot atlas autumn bamboo beacon birch blossom bramble breeze canyon cedar chestnut "
    "cinder clover comet copper coral cricket crystal dahlia daisy delta dune ember falcon fern fjord garnet "
    "glacier granite harbour hazel heron horizon indigo island ivory jasmine juniper kestrel lagoon lantern "
    "lavender lemon lichen lotus maple marble meadow mist monsoon moss nectar nutmeg oasis olive orchard otter "
    "pebble pepper pine plum prairie quartz quill raven reef ripple saffron sage sapphire shore silver sparrow "
    "spruce summit thistle thunder timber topaz tulip tundra valley velvet violet walnut willow yarrow zephyr"
)
PASSWORD_WORDS = tuple(_WORDS.split())

# name, services, region, secure contact channel
PROVIDERS = (
    ("Riverside Shelter", ["shelter", "child_care"], "KR", "Encrypted messenger via the shelter coordinator"),
    ("Hope Clinic", ["medical"], "CN-JL", "Secure messenger with agreed code words"),
    ("Open Door Counselling", ["psychological"], "KR", "Encrypted email"),
    ("Legal Aid Partners", ["legal", "documents"], "KR", "Encrypted email to the duty lawyer"),
    ("Northern Route Network", ["safe_passage"], "transit", "In person, through a trusted intermediary only"),
    ("New Start Training", ["livelihood", "education"], "KR", "Phone during office hours"),
    ("Family Links Desk", ["family_tracing"], "KR", "Encrypted messenger"),
    ("Mountain Rest House", ["shelter"], "CN-LN", "Through an intermediary only"),
    ("Women's Health Partners", ["medical", "psychological"], "CN-HL", "Secure messenger"),
)
EXTERNAL_PROVIDERS = (
    "A volunteer doctor known to the team",
    "A church-run shelter network",
    "A regional women's centre",
    "A partner organisation's legal clinic",
    "A community interpreter group",
)
EXPLOITATION_SENTENCES = {
    ExploitationType.FORCED_MARRIAGE: "Survivor reports being sold into a forced marriage.",
    ExploitationType.SEXUAL: "Survivor was held and exploited in commercial sex.",
    ExploitationType.CYBERSEX: "Survivor was confined and forced to perform in front of webcams.",
    ExploitationType.LABOUR: "Survivor was made to work without pay under threat.",
    ExploitationType.DOMESTIC: "Survivor was kept in domestic servitude in a private household.",
    ExploitationType.OTHER: "The form of exploitation is still being established.",
}
SITUATION_SENTENCES = (
    "Currently staying in a temporary safe location.",
    "Still in an unsafe situation; contact is irregular.",
    "Preparing to move on with a safe-passage partner.",
    "Settled and working on longer-term plans.",
    "Has intermittent phone access; contact goes through an intermediary.",
    "Waiting for a shelter place.",
)
PRIORITY_SENTENCES = (
    "Priorities: medical care and rest.",
    "Priorities: documents and legal advice.",
    "Priorities: psychological support.",
    "Priorities: planning safe passage.",
    "Priorities: livelihood and training.",
    "Priorities: family tracing once it is safe.",
)
CONTACT_NOTES = {
    ContactPurpose.CHECK_IN: (
        "Routine check-in; survivor reports sleeping better and raised no new concerns.",
        "Short check-in; survivor is settled and asked about the next appointment.",
    ),
    ContactPurpose.ASSESSMENT: (
        "Needs assessment completed; priorities agreed with the survivor.",
        "Reviewed progress against the support plan; two needs updated.",
    ),
    ContactPurpose.SAFETY_PLANNING: (
        "Safety plan reviewed: agreed signals and a fallback way to get in touch.",
        "Went through what to do if the current location stops being safe.",
    ),
    ContactPurpose.REFERRAL: (
        "Followed up on the open referral; the partner confirmed the next step.",
        "Explained what the referral involves and what would be shared.",
    ),
    ContactPurpose.ACCOMPANIMENT: (
        "Accompanied the survivor to an appointment; an interpreter was present.",
        "Accompanied the survivor to the partner's office for an intake meeting.",
    ),
    ContactPurpose.CRISIS: (
        "Urgent call after a threat; the survivor moved to a safer place the same day.",
        "Crisis support after a distressing message; follow-up arranged for tomorrow.",
    ),
    ContactPurpose.OTHER: ("Practical help with paperwork and travel arrangements.",),
}
SAFETY_NOTES = (
    "Survivor reports that someone linked to the broker has been asking questions; safety plan reviewed.",
    "Phone may have been checked by someone else; agreed to switch to the fallback channel.",
    "Unfamiliar person seen near the current location; moving is being considered.",
)
IN_PERSON_PLACES = ("Partner office", "Shelter", "Clinic", "Public place", "Safe house", "Transit point")
NEED_OUTCOMES = {
    NeedStatus.MET: "Need met through a partner service.",
    NeedStatus.UNMET: "No suitable service available yet.",
    NeedStatus.DECLINED: "Survivor decided not to go ahead for now.",
}
REFERRAL_OUTCOMES = {
    ReferralStatus.COMPLETED: "Service delivered; the survivor was satisfied with the support.",
    ReferralStatus.DECLINED: "The provider had no capacity; looking for an alternative.",
    ReferralStatus.WITHDRAWN: "Withdrawn at the survivor's request.",
}
# What she agreed may be shared (categories), and how the caseworker wrote down what was shared.
CONSENT_SCOPES = (
    (("age_band", "needs"), "Case code, age band and the service needed"),
    (("needs",), "Case code, the service needed and its urgency"),
    (("needs", "languages"), "Case code and the medical needs relevant to the appointment"),
)
GRANT_REASONS = (
    "Covering for the lead caseworker during leave",
    "Interpreter support for upcoming appointments",
    "Second opinion on safety planning",
    "Coordinating a joint referral",
    "Family tracing request handled by another team",
    "Handover before a change of team",
)

# Synthetic names: (script, romanisation).
KOREAN_SURNAMES = (
    ("김", "Kim"), ("이", "Lee"), ("박", "Park"), ("최", "Choi"), ("정", "Jung"), ("강", "Kang"),
    ("조", "Cho"), ("윤", "Yoon"), ("장", "Jang"), ("임", "Lim"), ("한", "Han"), ("오", "Oh"),
    ("서", "Seo"), ("신", "Shin"), ("권", "Kwon"), ("황", "Hwang"), ("송", "Song"), ("리", "Ri"),
)  # fmt: skip
KOREAN_SYLLABLES = (
    ("영", "young"), ("희", "hee"), ("미", "mi"), ("숙", "suk"), ("순", "sun"), ("옥", "ok"),
    ("은", "eun"), ("정", "jung"), ("혜", "hye"), ("경", "kyung"), ("선", "seon"), ("진", "jin"),
    ("지", "ji"), ("현", "hyun"), ("수", "su"), ("향", "hyang"), ("금", "kum"), ("화", "hwa"),
    ("련", "ryon"), ("명", "myong"), ("복", "bok"), ("춘", "chun"), ("애", "ae"), ("연", "yeon"),
)  # fmt: skip
CHINESE_SURNAMES = (
    ("王", "Wang"), ("李", "Li"), ("张", "Zhang"), ("刘", "Liu"), ("陈", "Chen"), ("杨", "Yang"),
    ("赵", "Zhao"), ("黄", "Huang"), ("周", "Zhou"), ("吴", "Wu"), ("金", "Jin"), ("朴", "Piao"),
    ("崔", "Cui"), ("孙", "Sun"),
)  # fmt: skip
CHINESE_GIVEN = (
    ("丽", "li"), ("美", "mei"), ("华", "hua"), ("玲", "ling"), ("秀", "xiu"), ("英", "ying"),
    ("红", "hong"), ("芳", "fang"), ("燕", "yan"), ("娟", "juan"), ("静", "jing"), ("敏", "min"),
    ("霞", "xia"), ("兰", "lan"), ("春", "chun"), ("月", "yue"), ("香", "xiang"), ("梅", "mei"),
)  # fmt: skip
AGE_RANGES = {
    AgeBand.UNKNOWN: (16, 45),
    AgeBand.UNDER_14: (8, 13),
    AgeBand.TEEN: (14, 17),
    AgeBand.YOUNG_ADULT: (18, 24),
    AgeBand.ADULT: (25, 34),
    AgeBand.MIDDLE: (35, 49),
    AgeBand.OLDER: (50, 62),
}
# Identity extras: messenger apps (KakaoTalk in South Korea, these elsewhere), handle
# characters, and coarse last locations: a kind of place in a province, never a real town.
MESSENGER_APPS = ("WeChat", "WeChat", "WeChat", "QQ", "Telegram")
HANDLE_CHARACTERS = "abcdefghijkmnpqrstuvwxyz23456789"
PLACE_KINDS = ("A farming village", "A county town", "The outskirts of a city", "A mountain village", "A market town")
LAST_AREAS = {
    Region.JILIN: "Jilin province",
    Region.LIAONING: "Liaoning province",
    Region.HEILONGJIANG: "Heilongjiang province",
    Region.SHANDONG: "Shandong province",
    Region.HEBEI: "Hebei province",
    Region.BEIJING: "the Beijing area",
    Region.INNER_MONGOLIA: "Inner Mongolia",
    Region.YUNNAN: "Yunnan province",
    Region.GUANGXI: "Guangxi",
    Region.OTHER_CHINA: "another province of China",
    Region.TRANSIT: "a third country on the route south",
    Region.SOUTH_KOREA: "Gyeonggi province",
}
