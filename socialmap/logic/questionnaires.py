"""The needs questionnaire a referrer goes through: per life domain a few short psychosocial
yes/no questions, each pointing at need codes of the taxonomy.

Every region (eerstelijnszone) may have its own, configured by its stewards; a region without
one, and a place outside every region, uses :data:`DEFAULT`. Texts are kept in NL, FR and EN.
A questionnaire is a list of domains::

    {"code": "money", "title": {"nl": ..., "fr": ..., "en": ...},
     "questions": [{"text": {"nl": ..., "fr": ..., "en": ...}, "needs": ["debt-counselling"]}]}

An answer is named ``"<domain code>:<question index>"`` (see :func:`needs_for_answers`).
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from marshmallow import EXCLUDE
from marshmallow import Schema
from marshmallow import ValidationError
from marshmallow import fields
from marshmallow import pre_load
from marshmallow import validate
from marshmallow import validates
from sqlalchemy import select

from socialmap import models as m
from socialmap import taxonomy
from socialmap.errors import NotFound
from socialmap.extensions import db
from socialmap.gazetteer import get_gazetteer
from socialmap.logic.regions import can_steward_region
from socialmap.logic.search import SearchArgumentError
from socialmap.logic.search import resolve_place
from socialmap.models.base import utcnow
from socialmap.permissions import require

LANGUAGES = ("nl", "fr", "en")
MAX_DOMAINS = 20
MAX_QUESTIONS = 12
MAX_NEEDS_PER_QUESTION = 8
MAX_TEXT = 300

#: The validation messages (English; the web interface translates them by their text).
TEXT_REQUIRED = "Fill in this text."
TEXT_TOO_LONG = "Use at most 300 characters."
NEEDS_REQUIRED = "Choose at least one need."
TOO_MANY_NEEDS = "Choose at most 8 needs."
UNKNOWN_NEED = "Unknown need code."
QUESTIONS_REQUIRED = "Add at least one question."
TOO_MANY_QUESTIONS = "Use at most 12 questions per domain."
DOMAINS_REQUIRED = "Add at least one life domain."
TOO_MANY_DOMAINS = "Use at most 20 life domains."
BAD_CODE = "Use lowercase letters, digits and hyphens."
DUPLICATE_CODE = "Two domains have the same code."


def _q(nl: str, fr: str, en: str, *needs: str) -> dict[str, Any]:
    return {"text": {"nl": nl, "fr": fr, "en": en}, "needs": list(needs)}


def _domain(code: str, nl: str, fr: str, en: str, *questions: dict[str, Any]) -> dict[str, Any]:
    return {"code": code, "title": {"nl": nl, "fr": fr, "en": en}, "questions": list(questions)}


#: The questionnaire of every region that has not configured its own.
DEFAULT: list[dict[str, Any]] = [
    _domain(
        "housing", "Wonen", "Logement", "Housing",
        _q("Heeft de persoon geen vaste woonplek, of dreigt een uithuiszetting?",
           "La personne est-elle sans logement stable ou menacée d'expulsion ?",
           "Is the person without a stable home, or at risk of eviction?",
           "homelessness-shelter", "housing-support"),
        _q("Is de woning ongezond, te duur of niet aangepast aan de persoon?",
           "Le logement est-il insalubre, trop cher ou inadapté à la personne ?",
           "Is the home unhealthy, too expensive or not adapted to the person?",
           "housing-support", "social-housing", "housing-adaptation"),
    ),
    _domain(
        "money", "Financiën", "Finances", "Money",
        _q("Heeft de persoon schulden of onbetaalde rekeningen?",
           "La personne a-t-elle des dettes ou des factures impayées ?",
           "Does the person have debts or unpaid bills?",
           "debt-counselling"),
        _q("Is het moeilijk om rond te komen of het budget te beheren?",
           "Est-il difficile de joindre les deux bouts ou de gérer le budget ?",
           "Is it hard to make ends meet or to manage the budget?",
           "budget-management", "income-support"),
        _q("Dreigt de afsluiting van energie of water?",
           "Une coupure d'énergie ou d'eau menace-t-elle ?",
           "Is the energy or water supply about to be cut off?",
           "energy-water"),
        _q("Is er soms niet genoeg geld voor eten?",
           "Manque-t-il parfois d'argent pour se nourrir ?",
           "Is there sometimes not enough money for food?",
           "food"),
    ),
    _domain(
        "social-network", "Eenzaamheid en sociaal netwerk", "Solitude et réseau social",
        "Loneliness and social network",
        _q("Voelt de persoon zich vaak eenzaam?",
           "La personne se sent-elle souvent seule ?",
           "Does the person often feel lonely?",
           "social-contact"),
        _q("Heeft de persoon weinig mensen op wie hij of zij kan terugvallen?",
           "La personne a-t-elle peu de proches sur qui compter ?",
           "Does the person have few people to fall back on?",
           "visiting-buddy", "neighbourhood-centre"),
        _q("Wil de persoon graag meer buitenkomen of anderen ontmoeten?",
           "La personne aimerait-elle sortir davantage ou rencontrer d'autres personnes ?",
           "Would the person like to get out more or meet other people?",
           "social-activities", "neighbourhood-centre"),
    ),
    _domain(
        "caregiving", "Mantelzorg", "Aidants proches", "Informal care",
        _q("Zorgt de persoon voor een naaste, en weegt dat zwaar?",
           "La personne s'occupe-t-elle d'un proche, et est-ce lourd à porter ?",
           "Does the person care for someone close, and is it a heavy load?",
           "caregiver-support", "respite-care"),
        _q("Heeft de mantelzorger nood aan informatie of even rust?",
           "L'aidant proche a-t-il besoin d'informations ou d'un moment de répit ?",
           "Does the carer need information or a break?",
           "caregiver-information", "respite-care"),
    ),
    _domain(
        "mental-wellbeing", "Psychisch welzijn", "Bien-être psychique", "Mental wellbeing",
        _q("Voelt de persoon zich vaak somber, angstig of gespannen?",
           "La personne se sent-elle souvent déprimée, anxieuse ou tendue ?",
           "Does the person often feel low, anxious or tense?",
           "psychological-support"),
        _q("Denkt de persoon aan zelfdoding?",
           "La personne a-t-elle des pensées suicidaires ?",
           "Does the person think about suicide?",
           "suicide-prevention", "crisis-support"),
        _q("Is er een probleem met alcohol, drugs, gokken of gamen?",
           "Y a-t-il un problème d'alcool, de drogues, de jeux d'argent ou de jeux vidéo ?",
           "Is there a problem with alcohol, drugs, gambling or gaming?",
           "alcohol-drugs", "gambling"),
    ),
    _domain(
        "health", "Gezondheid en zelfstandig wonen", "Santé et autonomie à domicile",
        "Health and living independently",
        _q("Heeft de persoon hulp nodig bij de verzorging of het huishouden?",
           "La personne a-t-elle besoin d'aide pour les soins ou le ménage ?",
           "Does the person need help with personal care or housework?",
           "home-care", "home-nursing"),
        _q("Is een warme maaltijd thuis een probleem?",
           "Un repas chaud à domicile pose-t-il problème ?",
           "Is a hot meal at home a problem?",
           "meals-on-wheels"),
        _q("Heeft de persoon moeite om zich te verplaatsen?",
           "La personne a-t-elle du mal à se déplacer ?",
           "Does the person find it hard to get around?",
           "mobility"),
        _q("Heeft de persoon geen vaste huisarts?",
           "La personne n'a-t-elle pas de médecin généraliste attitré ?",
           "Does the person have no regular GP?",
           "general-practice"),
    ),
    _domain(
        "work-income", "Werk en inkomen", "Emploi et revenus", "Work and income",
        _q("Zoekt de persoon werk of een zinvolle dagbesteding?",
           "La personne cherche-t-elle un emploi ou une occupation qui ait du sens ?",
           "Is the person looking for work or a meaningful daytime activity?",
           "job-search", "social-economy"),
        _q("Heeft de persoon geen of te weinig inkomen?",
           "La personne n'a-t-elle aucun revenu ou un revenu insuffisant ?",
           "Does the person have no income, or too little?",
           "income-support", "rights-exploration"),
        _q("Wil de persoon een opleiding of cursus volgen?",
           "La personne souhaite-t-elle suivre une formation ou un cours ?",
           "Would the person like to take a training or a course?",
           "vocational-training", "adult-education"),
    ),
    _domain(
        "parenting", "Opvoeding en gezin", "Éducation et famille", "Parenting and family",
        _q("Zijn er zorgen over de opvoeding of het gedrag van de kinderen?",
           "Y a-t-il des inquiétudes sur l'éducation ou le comportement des enfants ?",
           "Are there worries about raising the children or about their behaviour?",
           "parenting-support", "youth-support"),
        _q("Zoekt het gezin kinderopvang?",
           "La famille cherche-t-elle un accueil pour les enfants ?",
           "Is the family looking for childcare?",
           "childcare"),
        _q("Hebben de kinderen hulp nodig bij school of huiswerk?",
           "Les enfants ont-ils besoin d'aide pour l'école ou les devoirs ?",
           "Do the children need help with school or homework?",
           "school-support"),
    ),
    _domain(
        "paperwork-rights", "Administratie en rechten", "Démarches et droits",
        "Paperwork and rights",
        _q("Raakt de persoon niet wijs uit brieven, formulieren of digitale diensten?",
           "La personne s'y perd-elle dans les courriers, formulaires ou services en ligne ?",
           "Does the person struggle with letters, forms or online services?",
           "administrative-help", "digital-help"),
        _q("Weet de persoon niet op welke rechten of tegemoetkomingen hij of zij recht heeft?",
           "La personne ignore-t-elle à quels droits ou allocations elle peut prétendre ?",
           "Does the person not know which rights or benefits they are entitled to?",
           "rights-exploration"),
        _q("Heeft de persoon juridisch advies nodig?",
           "La personne a-t-elle besoin d'un conseil juridique ?",
           "Does the person need legal advice?",
           "legal-aid"),
        _q("Spreekt de persoon weinig Nederlands, of is hij of zij nieuw in België?",
           "La personne parle-t-elle peu le néerlandais, ou est-elle nouvelle en Belgique ?",
           "Does the person speak little Dutch, or are they new to Belgium?",
           "integration"),
    ),
    _domain(
        "safety", "Veiligheid", "Sécurité", "Safety",
        _q("Maakt de persoon geweld of misbruik mee, thuis of elders?",
           "La personne subit-elle des violences ou des abus, à la maison ou ailleurs ?",
           "Does the person experience violence or abuse, at home or elsewhere?",
           "domestic-violence"),
    ),
]  # fmt: skip


@dataclass(frozen=True)
class RegionQuestionnaire:
    """The questionnaire used for a region (or :data:`DEFAULT` without a region)."""

    domains: list[dict[str, Any]]
    region_id: str | None = None
    region_name: str | None = None
    is_default: bool = True
    updated_at: dt.datetime | None = None
    updated_by: str | None = None


# ---------------------------------------------------------------- validation


_LENGTH = validate.Length(max=MAX_TEXT, error=TEXT_TOO_LONG)
_REQUIRED = {"required": TEXT_REQUIRED}


class _TextSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    nl = fields.String(required=True, validate=_LENGTH, error_messages=_REQUIRED)
    fr = fields.String(required=True, validate=_LENGTH, error_messages=_REQUIRED)
    en = fields.String(required=True, validate=_LENGTH, error_messages=_REQUIRED)

    @pre_load
    def _strip(self, data: Any, **_: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        out = {k: v.strip() if isinstance(v, str) else v for k, v in data.items()}
        return {k: v for k, v in out.items() if v not in ("", None)}


class _QuestionSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    text = fields.Nested(_TextSchema, required=True, error_messages={"required": TEXT_REQUIRED})
    needs = fields.List(
        fields.String(),
        required=True,
        validate=[
            validate.Length(min=1, error=NEEDS_REQUIRED),
            validate.Length(max=MAX_NEEDS_PER_QUESTION, error=TOO_MANY_NEEDS),
        ],
        error_messages={"required": NEEDS_REQUIRED},
    )

    @validates("needs")
    def _known(self, value: list[str], **_: Any) -> None:
        if any(code not in taxonomy.needs() for code in value):
            raise ValidationError(UNKNOWN_NEED)


class _DomainSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    code = fields.String(validate=validate.Regexp(r"^[a-z0-9][a-z0-9-]{0,39}$", error=BAD_CODE))
    title = fields.Nested(_TextSchema, required=True, error_messages={"required": TEXT_REQUIRED})
    questions = fields.List(
        fields.Nested(_QuestionSchema),
        required=True,
        validate=[
            validate.Length(min=1, error=QUESTIONS_REQUIRED),
            validate.Length(max=MAX_QUESTIONS, error=TOO_MANY_QUESTIONS),
        ],
        error_messages={"required": QUESTIONS_REQUIRED},
    )


class _QuestionnaireSchema(Schema):
    domains = fields.List(
        fields.Nested(_DomainSchema),
        required=True,
        validate=[
            validate.Length(min=1, error=DOMAINS_REQUIRED),
            validate.Length(max=MAX_DOMAINS, error=TOO_MANY_DOMAINS),
        ],
        error_messages={"required": DOMAINS_REQUIRED},
    )


def validate_domains(domains: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The domains cleaned (texts stripped, need codes deduplicated, each domain a unique
    code). :raise ValidationError: ``{"domains": {i: {...field: [message]}}}``."""
    loaded = _QuestionnaireSchema().load({"domains": list(domains)})["domains"]
    taken: set[str] = set()
    for i, domain in enumerate(loaded):
        code = domain.get("code") or _unique_code(_slug(domain["title"]["en"]), taken, i)
        if code in taken:
            raise ValidationError({"domains": {i: {"code": [DUPLICATE_CODE]}}})
        taken.add(code)
        domain["code"] = code
        for question in domain["questions"]:
            question["needs"] = list(dict.fromkeys(question["needs"]))
    return [
        {"code": d["code"], "title": dict(d["title"]), "questions": d["questions"]} for d in loaded
    ]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", taxonomy.fold(text)).strip("-")[:32] or "domain"


def _unique_code(base: str, taken: set[str], index: int) -> str:
    return base if base not in taken else f"{base}-{index + 1}"


# ---------------------------------------------------------------- reading


def for_region(region_id: str) -> RegionQuestionnaire:
    """The region's questionnaire, or :data:`DEFAULT` when it has none. :raise NotFound:"""
    region = db.session.get(m.Region, region_id)
    if region is None:
        raise NotFound("Region not found.")
    return _of(region)


def for_postcode(place: str | None) -> RegionQuestionnaire:
    """The questionnaire for where the person lives (a postcode or municipality): that of the
    region whose municipalities hold the place, else :data:`DEFAULT` (also for unknown places)."""
    region = region_of_place(place)
    return _of(region) if region is not None else RegionQuestionnaire(copy.deepcopy(DEFAULT))


def region_of_place(place: str | None) -> m.Region | None:
    """The region (by name, the first) whose municipalities contain the place, if any."""
    try:
        found = resolve_place(place, None, None) if place and place.strip() else None
    except SearchArgumentError:
        return None
    if found is None or not found.municipality:
        return None
    nis = get_gazetteer().current_nis(found.municipality)
    for region in db.session.scalars(select(m.Region).order_by(m.Region.name)):
        if nis in region.municipalities:
            return region
    return None


def _of(region: m.Region) -> RegionQuestionnaire:
    stored = db.session.get(m.Questionnaire, region.id)
    if stored is None or not stored.domains:
        return RegionQuestionnaire(copy.deepcopy(DEFAULT), region.id, region.name)
    return RegionQuestionnaire(
        copy.deepcopy(stored.domains),
        region.id,
        region.name,
        is_default=False,
        updated_at=stored.updated_at,
        updated_by=stored.updated_by,
    )


def answer_key(domain: Mapping[str, Any], index: int) -> str:
    """The name of the answer "yes" to question ``index`` of ``domain``."""
    return f"{domain['code']}:{index}"


def needs_for_answers(domains: Iterable[Mapping[str, Any]], answers: Iterable[str]) -> list[str]:
    """The need codes the "yes" answers point at, in questionnaire order, each once
    (unknown answers are ignored)."""
    chosen = set(answers)
    codes = [
        code
        for domain in domains
        for i, question in enumerate(domain["questions"])
        if answer_key(domain, i) in chosen
        for code in question["needs"]
    ]
    return list(dict.fromkeys(codes))


def condense_needs(codes: Iterable[str], limit: int) -> list[str]:
    """The needs, each once; while there are more than ``limit``, the most numerous siblings
    give way to their parent (matching a parent also finds the services of its narrower
    terms). May still return more than ``limit`` when no two needs share a parent."""
    tax = taxonomy.needs()
    out = list(dict.fromkeys(codes))
    while len(out) > limit:
        parents = Counter(
            term.parent for term in (tax.get(c) for c in out) if term is not None and term.parent
        )
        parent, count = max(parents.items(), key=lambda item: item[1], default=(None, 0))
        if parent is None or count < 2:
            break
        merged: list[str] = []
        for code in out:
            term = tax.get(code)
            if code == parent or (term is not None and term.parent == parent):
                code = parent
            if code not in merged:
                merged.append(code)
        out = merged
    return out


# ---------------------------------------------------------------- changing


def save(
    actor: m.User, region_id: str, domains: Iterable[Mapping[str, Any]]
) -> RegionQuestionnaire:
    """Replace the region's questionnaire.

    :raise NotFound: unknown region.
    :raise PermissionDenied: not a steward of this region (nor an admin).
    :raise ValidationError: empty texts, unknown need codes, no questions (see the messages).
    """
    region = _region(region_id)
    require(can_steward_region(actor, region), "edit the questionnaire of this region")
    cleaned = validate_domains(domains)
    stored = db.session.get(m.Questionnaire, region.id)
    if stored is None:
        stored = m.Questionnaire(region_id=region.id)
        db.session.add(stored)
    stored.domains = cleaned
    stored.updated_at = utcnow()
    stored.updated_by = actor.email
    db.session.commit()
    return _of(region)


def reset(actor: m.User, region_id: str) -> RegionQuestionnaire:
    """Go back to :data:`DEFAULT` for this region. :raise NotFound, PermissionDenied:"""
    region = _region(region_id)
    require(can_steward_region(actor, region), "edit the questionnaire of this region")
    stored = db.session.get(m.Questionnaire, region.id)
    if stored is not None:
        db.session.delete(stored)
    db.session.commit()
    return _of(region)


def _region(region_id: str) -> m.Region:
    region = db.session.get(m.Region, region_id)
    if region is None:
        raise NotFound("Region not found.")
    return region
