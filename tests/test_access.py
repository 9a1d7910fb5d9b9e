"""Every role against every page: who may open what. New routes must be added here."""

from __future__ import annotations

import uuid
from contextlib import nullcontext

import pytest
from flask import session
from flask_wtf.csrf import generate_csrf

from kiosk import devices
from kiosk.models import Breach, PolicyTranslation, PolicyVersion, StaffUser, WelfareTask
from kiosk.roster import add_person

from .helpers import (
    ACCESS_REFUSED,
    VIEWED,
    hidden_fields,
    make_breach,
    make_declaration,
    make_deletion_request,
    make_permission_request,
    make_user,
    nothing_written,
    sign_in_as,
)

# "reporter" is the member of staff who logged the records below; "staff" is another one.
ROLES = ("anonymous", "reporter", "staff", "dsl", "head", "chair")
SIGN_IN = 302  # sent to the sign-in page
STAFF_PAGE = {"anonymous": SIGN_IN, "reporter": 200, "staff": 200, "dsl": 200, "head": 200,
              "chair": 403}
LEADS_PAGE = {"anonymous": SIGN_IN, "reporter": 403, "staff": 403, "dsl": 200, "head": 200,
              "chair": 403}
HEAD_PAGE = {"anonymous": SIGN_IN, "reporter": 403, "staff": 403, "dsl": 403, "head": 200,
             "chair": 403}
PUBLIC = dict.fromkeys(ROLES, 200)
REQUESTER_PAGE = {**STAFF_PAGE, "head": 403}
# A concern about a member of staff (not the head): its case manager is the head.
CASE_MANAGER_PAGE = {"anonymous": SIGN_IN, "reporter": 404, "staff": 404, "dsl": 404, "head": 200,
                     "chair": 404}
CASE_MANAGER_ACTION = {"anonymous": SIGN_IN, "reporter": 403, "staff": 403, "dsl": 403, "head": 422,
                       "chair": 404}
# An action on {task} (a welfare task from a concern about staff that is not about the head),
# with nothing filled in: the DSL's part (the case manager's is CASE_MANAGER_ACTION).
WELFARE_ACTION = {"anonymous": SIGN_IN, "reporter": 403, "staff": 403, "dsl": 422, "head": 422,
                  "chair": 404}


def everyone(status):
    return dict.fromkeys(ROLES, status)


# (endpoint, method, path template, expected status per role). The reporter logged: {breach}, not
# restricted; {restricted}, a concern about a member of staff; {about_head}, a concern about the
# head; {deletion}, a deletion request on its own; {restricted_deletion}, one on {restricted};
# {user} is another teacher's account.
MATRIX = [
    ("public.home", "GET", "/", PUBLIC),
    ("public.phone", "GET", "/phone", everyone(302)),
    ("public.policy", "GET", "/policy", PUBLIC),
    ("public.accept", "GET", "/accept", PUBLIC),
    ("public.accept", "POST", "/accept", everyone(422)),
    ("public.thanks", "GET", "/thanks", PUBLIC),
    ("public.qr_code", "GET", "/qr.svg", PUBLIC),
    ("public.poster", "GET", "/poster", PUBLIC),
    ("public.personal", "GET", "/p/{token}", PUBLIC),
    ("public.privacy", "GET", "/privacy", PUBLIC),
    ("public.school_image", "GET", "/school/logo", everyone(404)),  # none uploaded
    ("pwa.staff_manifest", "GET", "/staff.webmanifest", PUBLIC),
    ("auth.staff_start", "GET", "/staff/start", everyone(302)),
    ("pwa.service_worker", "GET", "/sw.js", PUBLIC),
    ("pwa.manifest", "GET", "/manifest.webmanifest", PUBLIC),
    ("pwa.favicon", "GET", "/favicon.ico", PUBLIC),
    ("pwa.offline", "GET", "/offline", PUBLIC),
    ("pwa.staff_shell", "GET", "/staff/offline", PUBLIC),
    ("auth.sign_in", "GET", "/signin", {**everyone(302), "anonymous": 200}),
    ("auth.sign_in", "POST", "/signin", everyone(422)),
    ("auth.sign_out", "POST", "/signout", {**everyone(303), "anonymous": SIGN_IN}),
    ("auth.change_password", "GET", "/account/password", {**everyone(200), "anonymous": SIGN_IN}),
    ("auth.change_password", "POST", "/account/password", {**everyone(422), "anonymous": SIGN_IN}),
    ("auth.setup", "GET", "/setup", everyone(404)),
    ("auth.setup", "POST", "/setup", everyone(404)),
    # Two-step sign-in: only someone half-way through signing in (not a signed-in session) has
    # a code to give; everyone else is sent on (to sign in, or home), and nothing is written.
    ("second_step.code", "GET", "/signin/code", everyone(303)),
    ("second_step.code", "POST", "/signin/code", everyone(303)),
    ("second_step.setup", "GET", "/signin/set-up", everyone(303)),
    ("second_step.setup", "POST", "/signin/set-up", everyone(303)),
    ("second_step.codes_kept", "POST", "/signin/recovery-codes", everyone(303)),
    ("staff.home", "GET", "/staff/", STAFF_PAGE),
    ("staff.visitors", "GET", "/staff/visitors", STAFF_PAGE),
    ("staff.new_breach", "GET", "/staff/breaches/new", STAFF_PAGE),
    ("staff.create_breach", "POST", "/staff/breaches", {**STAFF_PAGE, "reporter": 422, "staff": 422,
                                                        "dsl": 422, "head": 422}),
    ("staff.my_reports", "GET", "/staff/my-reports", STAFF_PAGE),
    ("records.breach", "GET", "/records/breaches/{breach}",
     {"anonymous": SIGN_IN, "reporter": 200, "staff": 404, "dsl": 200, "head": 200, "chair": 404}),
    ("records.breach", "GET", "/records/breaches/{restricted}",
     {"anonymous": SIGN_IN, "reporter": 404, "staff": 404, "dsl": 404, "head": 200, "chair": 404}),
    ("records.breach", "GET", "/records/breaches/{about_head}",
     {"anonymous": SIGN_IN, "reporter": 404, "staff": 404, "dsl": 404, "head": 404, "chair": 200}),
    ("staff.new_deletion", "GET", "/staff/deletions/new", STAFF_PAGE),
    ("staff.new_deletion", "GET", "/staff/deletions/new?breach={restricted}",
     {"anonymous": SIGN_IN, "reporter": 404, "staff": 404, "dsl": 404, "head": 200, "chair": 403}),
    ("staff.new_deletion", "POST", "/staff/deletions/new", {**STAFF_PAGE, "reporter": 422,
                                                            "staff": 422, "dsl": 422, "head": 422}),
    ("records.deletions_list", "GET", "/records/deletions", STAFF_PAGE),
    ("records.deletion", "GET", "/records/deletions/{deletion}",
     {"anonymous": SIGN_IN, "reporter": 200, "staff": 404, "dsl": 200, "head": 200, "chair": 404}),
    ("records.deletion", "GET", "/records/deletions/{restricted_deletion}",
     {"anonymous": SIGN_IN, "reporter": 404, "staff": 404, "dsl": 404, "head": 200, "chair": 404}),
    ("records.deletion_outcome", "POST", "/records/deletions/{deletion}/outcome",
     {"anonymous": SIGN_IN, "reporter": 422, "staff": 404, "dsl": 422, "head": 422, "chair": 404}),
    ("records.deletion_outcome", "POST", "/records/deletions/{restricted_deletion}/outcome",
     {"anonymous": SIGN_IN, "reporter": 404, "staff": 404, "dsl": 404, "head": 422, "chair": 404}),
    ("records.concerns", "GET", "/records/concerns",
     {"anonymous": SIGN_IN, "reporter": 403, "staff": 403, "dsl": 200, "head": 200, "chair": 200}),
    ("admin.chair_home", "GET", "/admin/chair", {**HEAD_PAGE, "head": 403, "chair": 302}),
    ("records.breach_status", "POST", "/records/breaches/{breach}/status",
     {"anonymous": SIGN_IN, "reporter": 403, "staff": 403, "dsl": 422, "head": 422, "chair": 404}),
    ("records.breach_status", "POST", "/records/breaches/{about_head}/status",
     {"anonymous": SIGN_IN, "reporter": 403, "staff": 403, "dsl": 404, "head": 404, "chair": 422}),
    ("records.breach_note", "POST", "/records/breaches/{breach}/notes",
     {"anonymous": SIGN_IN, "reporter": 403, "staff": 403, "dsl": 422, "head": 422, "chair": 404}),
    ("records.breach_note", "POST", "/records/breaches/{about_head}/notes",
     {"anonymous": SIGN_IN, "reporter": 403, "staff": 403, "dsl": 404, "head": 404, "chair": 422}),
    # The LADO referral is offered only for an allegation (not for a concern not classified yet).
    ("records.breach_lado", "POST", "/records/breaches/{restricted}/lado",
     {"anonymous": SIGN_IN, "reporter": 403, "staff": 403, "dsl": 403, "head": 404, "chair": 404}),
    ("records.breach_lado", "POST", "/records/breaches/{allegation}/lado",
     {"anonymous": SIGN_IN, "reporter": 403, "staff": 403, "dsl": 403, "head": 303, "chair": 404}),
    ("records.breach_lado", "POST", "/records/breaches/{about_head}/lado",
     {"anonymous": SIGN_IN, "reporter": 403, "staff": 403, "dsl": 403, "head": 404, "chair": 404}),
    ("records.breach_lado", "POST", "/records/breaches/{about_head_allegation}/lado",
     {"anonymous": SIGN_IN, "reporter": 403, "staff": 403, "dsl": 403, "head": 404, "chair": 303}),
    # A concern about staff, once its case manager classified it: an allegation and a breach of
    # conduct stay with the case manager; a low-level concern is also the DSL's (the school's
    # low-level-concerns lead by default; test_staff_concerns.py has the head as the lead).
    ("records.breach", "GET", "/records/breaches/{allegation}", CASE_MANAGER_PAGE),
    ("records.breach", "GET", "/records/breaches/{low_level}", {**CASE_MANAGER_PAGE, "dsl": 200}),
    ("records.breach", "GET", "/records/breaches/{conduct}", CASE_MANAGER_PAGE),
    ("records.breach", "GET", "/records/breaches/{about_head_allegation}",
     {**CASE_MANAGER_PAGE, "head": 404, "chair": 200}),
    # Only the case manager classifies, decides on suspension and closes an allegation (an empty
    # form: 422 for them, and nothing written for anyone).
    ("records.breach_classify", "POST", "/records/breaches/{restricted}/classification",
     CASE_MANAGER_ACTION),
    ("records.breach_classify", "POST", "/records/breaches/{low_level}/classification",
     CASE_MANAGER_ACTION),
    ("records.breach_classify", "POST", "/records/breaches/{about_head}/classification",
     {**CASE_MANAGER_ACTION, "head": 404, "chair": 422}),
    ("records.breach_classify", "POST", "/records/breaches/{breach}/classification",
     {**CASE_MANAGER_ACTION, "head": 404}),
    ("records.breach_suspension", "POST", "/records/breaches/{allegation}/suspension",
     CASE_MANAGER_ACTION),
    ("records.breach_suspension", "POST", "/records/breaches/{about_head_allegation}/suspension",
     {**CASE_MANAGER_ACTION, "head": 404, "chair": 422}),
    ("records.breach_close_allegation", "POST", "/records/breaches/{allegation}/allegation-outcome",
     CASE_MANAGER_ACTION),
    ("records.breach_close_allegation", "POST",
     "/records/breaches/{about_head_allegation}/allegation-outcome",
     {**CASE_MANAGER_ACTION, "head": 404, "chair": 422}),
    ("reports.chronology", "GET", "/reports/chronology?name=Pat+Visitor",
     {**LEADS_PAGE, "chair": 200}),  # the chair: concerns about the head only
    ("admin.staff_accounts", "GET", "/admin/staff", HEAD_PAGE),
    ("admin.staff_accounts", "POST", "/admin/staff", {**HEAD_PAGE, "head": 422}),
    ("admin.staff_account", "GET", "/admin/staff/{user}", HEAD_PAGE),
    ("admin.staff_active", "POST", "/admin/staff/{user}/active", {**HEAD_PAGE, "head": 303}),
    ("admin.staff_reset", "POST", "/admin/staff/{user}/reset", HEAD_PAGE),
    # {lead} is the DSL's account: the head resets its two-step sign-in after a page that asks.
    ("admin.staff_second_factor", "GET", "/admin/staff/{lead}/second-factor", HEAD_PAGE),
    ("admin.staff_second_factor", "POST", "/admin/staff/{lead}/second-factor",
     {**HEAD_PAGE, "head": 303}),
    ("admin.staff_second_factor", "GET", "/admin/staff/{user}/second-factor",
     {**HEAD_PAGE, "head": 404}),  # a teacher signs in without a second step
    ("admin.categories", "GET", "/admin/categories", HEAD_PAGE),
    ("admin.category", "GET", "/admin/categories/1", HEAD_PAGE),
    ("admin.category", "GET", "/admin/categories/new", HEAD_PAGE),
    ("admin.category", "POST", "/admin/categories/new", {**HEAD_PAGE, "head": 422}),
    ("admin.audit_log", "GET", "/admin/audit", HEAD_PAGE),
    ("admin.audit_log", "GET", "/admin/audit?breach={about_head}", {**HEAD_PAGE, "head": 404}),
    ("admin.audit_log", "GET", "/admin/audit?breach={restricted}", HEAD_PAGE),
    ("admin.audit_check", "POST", "/admin/audit/check", {**HEAD_PAGE, "head": 303}),
    ("admin.setup", "GET", "/admin/setup", HEAD_PAGE),
    ("admin.setup", "POST", "/admin/setup", {**HEAD_PAGE, "head": 422}),
    # Low-level concerns and who a concern is about (issue 12): {low_level} is a concern about a
    # member of staff classified as low-level; the lead is the DSL (the default).
    ("records.breach_low_level", "POST", "/records/breaches/{low_level}/low-level",
     {"anonymous": SIGN_IN, "reporter": 403, "staff": 403, "dsl": 422, "head": 422, "chair": 404}),
    ("records.breach_low_level", "POST", "/records/breaches/{restricted}/low-level",
     {"anonymous": SIGN_IN, "reporter": 403, "staff": 403, "dsl": 404, "head": 404, "chair": 404}),
    ("records.breach_subject", "POST", "/records/breaches/{restricted}/subject",
     {**HEAD_PAGE, "head": 422, "chair": 404}),
    ("records.breach_subject", "POST", "/records/breaches/{low_level}/subject",
     {**HEAD_PAGE, "head": 422, "chair": 404}),
    ("records.breach_subject", "POST", "/records/breaches/{about_head}/subject",
     {**HEAD_PAGE, "head": 404, "chair": 422}),
    ("records.low_level_log", "GET", "/records/low-level-concerns", {**LEADS_PAGE, "chair": 200}),
    ("records.low_level_person", "GET", "/records/low-level-concerns/person?who=name-pat+visitor",
     {**LEADS_PAGE, "chair": 404}),
    ("admin.low_level_settings", "GET", "/admin/low-level-concerns", HEAD_PAGE),
    ("admin.low_level_settings", "POST", "/admin/low-level-concerns", {**HEAD_PAGE, "head": 422}),
    ("admin.staff_left_on", "POST", "/admin/staff/{user}/left-on", {**HEAD_PAGE, "head": 303}),
    ("admin.roster_left_on", "POST", "/admin/roster/{person}/left-on", {**HEAD_PAGE, "head": 303}),
    ("reports.dashboard", "GET", "/reports/", LEADS_PAGE),
    ("reports.governors", "GET", "/reports/governors", {**HEAD_PAGE, "chair": 200}),
    ("reports.governors", "GET", "/reports/governors?term=last-term", {**HEAD_PAGE, "head": 400,
                                                                      "chair": 400}),
    ("reports.export_acceptances", "GET", "/reports/acceptances.csv", LEADS_PAGE),
    ("reports.export_breaches", "GET", "/reports/breaches.csv", LEADS_PAGE),
    ("reports.evidence", "GET", "/reports/evidence?name=Pat+Visitor", LEADS_PAGE),
    ("reports.subject_access", "GET", "/reports/subject-access?name=Pat+Visitor", HEAD_PAGE),
    ("reports.subject_access_json", "GET", "/reports/subject-access.json?name=Pat+Visitor",
     HEAD_PAGE),
    ("reports.subject_access_csv", "GET", "/reports/subject-access.csv?name=Pat+Visitor",
     HEAD_PAGE),
    ("admin.policy", "GET", "/admin/policy", HEAD_PAGE),
    ("admin.policy", "POST", "/admin/policy", {**HEAD_PAGE, "head": 422}),
    ("admin.policy_preview", "POST", "/admin/policy/preview", HEAD_PAGE),
    # No draft is waiting: the head is sent back to the policy page, and nothing is published.
    ("admin.policy_publish", "GET", "/admin/policy/publish", {**HEAD_PAGE, "head": 303}),
    ("admin.policy_publish", "POST", "/admin/policy/publish", {**HEAD_PAGE, "head": 303}),
    ("admin.policy_paste", "POST", "/admin/policy/paste", {**HEAD_PAGE, "head": 400}),
    ("admin.roster_people", "GET", "/admin/roster", HEAD_PAGE),
    ("admin.roster_people", "POST", "/admin/roster", {**HEAD_PAGE, "head": 422}),
    ("admin.roster_import", "GET", "/admin/roster/import", HEAD_PAGE),
    ("admin.roster_import", "POST", "/admin/roster/import", {**HEAD_PAGE, "head": 422}),
    ("admin.roster_import_template", "GET", "/admin/roster/import/template.csv", HEAD_PAGE),
    ("admin.roster_person", "GET", "/admin/roster/{person}", HEAD_PAGE),
    ("admin.roster_qr", "GET", "/admin/roster/{person}/qr.svg", HEAD_PAGE),
    ("admin.roster_active", "POST", "/admin/roster/{person}/active", {**HEAD_PAGE, "head": 303}),
    ("admin.roster_outstanding", "GET", "/admin/roster/outstanding", HEAD_PAGE),
    ("admin.roster_remind", "POST", "/admin/roster/remind", {**HEAD_PAGE, "head": 303}),
    ("admin.roster_letters", "GET", "/admin/roster/letters", HEAD_PAGE),
    ("admin.roster_links", "GET", "/admin/roster/links", HEAD_PAGE),
    ("admin.roster_new_link", "POST", "/admin/roster/{person}/new-link", {**HEAD_PAGE, "head": 303}),
    ("admin.retention_settings", "GET", "/admin/retention", {**HEAD_PAGE, "chair": 200}),
    ("admin.retention_settings", "POST", "/admin/retention", {**HEAD_PAGE, "head": 422}),
    ("admin.retention_decision", "POST", "/admin/retention/{restricted}",
     {**HEAD_PAGE, "head": 404, "chair": 404}),
    # The API: JSON with our header and a fresh Idempotency-Key; the body is empty, so whoever
    # is let in gets 422 for the missing fields.
    ("api.create_acceptance", "POST", "/api/v1/acceptances", everyone(422)),
    ("api.description", "GET", "/api/v1/openapi.json", PUBLIC),  # the API's OpenAPI description
    ("health.healthz", "GET", "/healthz", PUBLIC),  # the proxy's and monitoring's check
    ("api.create_breach", "POST", "/api/v1/breaches",
     {"anonymous": 401, "reporter": 422, "staff": 422, "dsl": 422, "head": 422, "chair": 403}),
    ("api.create_deletion_request", "POST", "/api/v1/deletion-requests",
     {"anonymous": 401, "reporter": 422, "staff": 422, "dsl": 422, "head": 422, "chair": 403}),
    # Welfare (issue 12): {task} is the DSL's task from {restricted} (which names a pupil),
    # {head_task} the one from {about_head}. Staff hand a child's welfare to the DSL and never
    # see it again; the head never sees the task of a concern about the head, the chair only that.
    ("staff.new_disclosure", "GET", "/staff/disclosures/new", STAFF_PAGE),
    ("staff.new_disclosure", "POST", "/staff/disclosures/new",
     {**STAFF_PAGE, "reporter": 422, "staff": 422, "dsl": 422, "head": 422}),
    ("api.create_disclosure", "POST", "/api/v1/disclosures",
     {"anonymous": 401, "reporter": 422, "staff": 422, "dsl": 422, "head": 422, "chair": 403}),
    ("records.welfare_list", "GET", "/records/welfare",
     {"anonymous": SIGN_IN, "reporter": 404, "staff": 404, "dsl": 200, "head": 200, "chair": 200}),
    ("records.welfare_task", "GET", "/records/welfare/{task}",
     {"anonymous": SIGN_IN, "reporter": 404, "staff": 404, "dsl": 200, "head": 200, "chair": 404}),
    ("records.welfare_task", "GET", "/records/welfare/{head_task}",
     {"anonymous": SIGN_IN, "reporter": 404, "staff": 404, "dsl": 200, "head": 404, "chair": 200}),
    ("records.welfare_task_note", "POST", "/records/welfare/{task}/notes", WELFARE_ACTION),
    ("records.welfare_task_note", "POST", "/records/welfare/{head_task}/notes",
     {**WELFARE_ACTION, "head": 404, "chair": 422}),
    ("records.welfare_task_reference", "POST", "/records/welfare/{task}/reference",
     WELFARE_ACTION),
    ("records.welfare_task_status", "POST", "/records/welfare/{task}/status", WELFARE_ACTION),
    ("records.welfare_case_note", "POST", "/records/welfare/{task}/case-note", CASE_MANAGER_ACTION),
    ("records.welfare_case_note", "POST", "/records/welfare/{head_task}/case-note",
     {**CASE_MANAGER_ACTION, "head": 404, "chair": 422}),
    ("records.welfare_share_name", "POST", "/records/welfare/{task}/share-name", CASE_MANAGER_ACTION),
    ("records.welfare_share_name", "POST", "/records/welfare/{head_task}/share-name",
     {**CASE_MANAGER_ACTION, "head": 404, "chair": 422}),
    ("records.breach_welfare_task", "POST", "/records/breaches/{restricted}/welfare",
     CASE_MANAGER_ACTION),
    ("records.breach_welfare_task", "POST", "/records/breaches/{about_head}/welfare",
     {**CASE_MANAGER_ACTION, "head": 404, "chair": 422}),
    # Permission to post about the school: staff (not the head, who decides) ask and see their
    # own ({permission} is the reporter's); a person on the roster through their link
    # ({person_permission} is theirs); the head decides.
    ("staff.permissions_mine", "GET", "/staff/permissions", REQUESTER_PAGE),
    ("staff.ask_permission", "GET", "/staff/permissions/new", REQUESTER_PAGE),
    ("staff.ask_permission", "POST", "/staff/permissions/new",
     {**REQUESTER_PAGE, "reporter": 422, "staff": 422, "dsl": 422}),
    ("staff.permission", "GET", "/staff/permissions/{permission}",
     {**REQUESTER_PAGE, "staff": 404, "dsl": 404}),
    ("staff.permission_answer", "POST", "/staff/permissions/{permission}/answer",
     {**REQUESTER_PAGE, "reporter": 422, "staff": 404, "dsl": 404}),
    ("staff.permissions_matching", "GET", "/staff/permissions/matching?name=Rita", STAFF_PAGE),
    ("public.person_permissions", "GET", "/p/{asker}/permissions", PUBLIC),
    ("public.person_ask_permission", "GET", "/p/{asker}/permissions/new", PUBLIC),
    ("public.person_ask_permission", "POST", "/p/{asker}/permissions/new", everyone(422)),
    ("public.person_permission", "GET", "/p/{asker}/permissions/{person_permission}", PUBLIC),
    ("public.person_permission", "GET", "/p/{asker}/permissions/{permission}", everyone(404)),
    ("public.person_permission", "GET", "/p/{token}/permissions/{person_permission}",
     everyone(404)),
    ("public.person_permission_answer", "POST",
     "/p/{asker}/permissions/{person_permission}/answer", everyone(422)),
    # Kiosk devices: a tablet pairs itself with the head's code; the head adds and removes them.
    ("public.pair_device", "GET", "/kiosk/pair", PUBLIC),
    ("public.pair_device", "POST", "/kiosk/pair", everyone(422)),
    ("public.device_report", "POST", "/kiosk/report", everyone(404)),  # not a paired tablet
    ("admin.kiosk_devices", "GET", "/admin/devices", HEAD_PAGE),
    ("admin.kiosk_devices", "POST", "/admin/devices", {**HEAD_PAGE, "head": 422}),
    ("admin.device_code", "POST", "/admin/devices/{device}/code", HEAD_PAGE),
    ("admin.device_revoke", "POST", "/admin/devices/{device}/revoke", {**HEAD_PAGE, "head": 303}),
    ("admin.devices_silent", "POST", "/admin/devices/silent", {**HEAD_PAGE, "head": 422}),
    ("admin.policy_translations_list", "GET", "/admin/policy/translations", HEAD_PAGE),
    ("admin.policy_translation", "GET", "/admin/policy/translations/pl", HEAD_PAGE),
    ("admin.policy_translation", "POST", "/admin/policy/translations/pl", {**HEAD_PAGE, "head": 422}),
    ("admin.policy_translation_withdraw", "POST", "/admin/policy/translations/{translation}/withdraw",
     {**HEAD_PAGE, "head": 303}),
    ("admin.permissions_list", "GET", "/admin/permissions", HEAD_PAGE),
    ("admin.permissions_wait", "POST", "/admin/permissions/wait", {**HEAD_PAGE, "head": 422}),
    ("admin.permission_request", "GET", "/admin/permissions/{permission}", HEAD_PAGE),
    ("admin.permission_decision", "POST", "/admin/permissions/{permission}/decision",
     {**HEAD_PAGE, "head": 422}),
    # Declarations of family links (issue 15): {declaration} is the reporter's. Only the member
    # of staff who declared it and the head see it; only its declarer ends it, only the head
    # acknowledges it.
    ("staff.family_links", "GET", "/staff/family-links", STAFF_PAGE),
    ("staff.new_family_link", "GET", "/staff/family-links/new", STAFF_PAGE),
    ("staff.new_family_link", "POST", "/staff/family-links/new",
     {**STAFF_PAGE, "reporter": 422, "staff": 422, "dsl": 422, "head": 422}),
    ("staff.confirm_family_links", "POST", "/staff/family-links/confirm",
     {**STAFF_PAGE, "reporter": 303, "staff": 303, "dsl": 303, "head": 303}),
    ("staff.end_family_link", "POST", "/staff/family-links/{declaration}/end",
     {"anonymous": SIGN_IN, "reporter": 303, "staff": 404, "dsl": 404, "head": 404, "chair": 403}),
    ("admin.family_links", "GET", "/admin/family-links", HEAD_PAGE),
    ("admin.acknowledge_family_link", "POST", "/admin/family-links/{declaration}/acknowledge",
     {**HEAD_PAGE, "head": 303}),
]


def classified(reporter, classification: str, **kw):
    """A concern about a member of staff, as its case manager classified it when it was logged."""
    breach = make_breach(reporter, subject_kind="staff", category="pupil_contact", **kw)
    Breach.update(classification=classification,
                  allegation_since=breach.created_at if classification == "allegation" else None
                  ).where(Breach.id == breach.id).execute()
    return breach


@pytest.fixture
def world(app):
    with app.app_context():
        return make_world()


def make_world() -> dict:
    """One user of each role, and records that belong to none of them (in an app context):
    the ids MATRIX's paths are filled with. The browser's walk of every page uses it too."""
    users = {role: make_user("staff" if role == "reporter" else role)
             for role in ROLES if role != "anonymous"}
    author = users["reporter"]
    restricted = make_breach(author, subject_kind="staff", category="pupil_contact",
                             pupils="Polly Pupil")
    about_head = make_breach(author, subject_kind="staff", category="pupil_contact",
                             concerns_head=True, pupils="Peter Pupil")
    person = add_person("Rita Roster", "rita@example.org", "volunteer")
    return {
        "users": users,
        "breach": make_breach(author).public_id,
        "restricted": restricted.public_id,
        "about_head": about_head.public_id,
        "allegation": classified(author, "allegation").public_id,
        "low_level": classified(author, "low_level").public_id,
        "conduct": classified(author, "conduct").public_id,
        "about_head_allegation": classified(author, "allegation", concerns_head=True).public_id,
        "task": WelfareTask.get(WelfareTask.breach == restricted).public_id,
        "head_task": WelfareTask.get(WelfareTask.breach == about_head).public_id,
        "deletion": make_deletion_request(author).public_id,
        "restricted_deletion": make_deletion_request(author, breach=restricted).public_id,
        "user": make_user("staff").id,
        "lead": users["dsl"].id,
        "person": person.id,
        "token": person.token,
        "permission": make_permission_request(staff=author).public_id,
        "device": devices.add("Entrance tablet")[0].public_id,
        # Their own person: the head's rows above take Rita off the roster.
        "asker": (asker := add_person("Pam Parent", "pam@example.org", "pta")).token,
        "person_permission": make_permission_request(person=asker).public_id,
        "declaration": make_declaration(author).public_id,
        "translation": PolicyTranslation.create(
            policy_version=PolicyVersion.current(), language="pl", title="Polityka",
            body="Tekst.", content_hash="0" * 64, created_by="The Head").id,
    }


def test_every_route_is_in_the_matrix(app):
    routed = {(rule.endpoint, method) for rule in app.url_map.iter_rules()
              if rule.endpoint != "static" for method in rule.methods - {"HEAD", "OPTIONS"}}
    covered = {(endpoint, method) for endpoint, method, _, _ in MATRIX}
    assert routed == covered


def csrf_token(app) -> tuple[str, str]:
    """A session's CSRF secret and the token a form of that session carries, made once: each
    row's new client is given the secret, rather than fetching a form for the token (which was
    a third of the matrix's requests)."""
    with app.test_request_context():
        session["csrf_token"] = secret = uuid.uuid4().hex
        return secret, generate_csrf()


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_what_it_may_and_nothing_else(app, world, role):
    # Every row from one address in well under a minute: no row is "too many requests".
    app.config["KIOSK_REFUSED_PER_MINUTE"] = 2 * len(MATRIX)
    secret, token = csrf_token(app)
    failures = []
    for endpoint, method, template, expected in MATRIX:
        client = app.test_client()
        if role != "anonymous":
            with app.app_context():  # fresh: signing out in an earlier row ends old sessions
                sign_in_as(client, StaffUser.get_by_id(world["users"][role].id))
        with client.session_transaction() as client_session:
            client_session["csrf_token"] = secret
        path = template.format(**{k: v for k, v in world.items() if k != "users"})
        refused = method == "POST" and (expected[role] >= 400 or expected[role] == SIGN_IN)
        try:
            # A refused write writes nothing; only the refusal of access may be audited, and,
            # when the record's page is shown again with the form's errors, the view of it.
            allow = ACCESS_REFUSED + (VIEWED if expected[role] == 422 else ())
            with nothing_written(app, allow=allow) if refused else nullcontext():
                if method == "GET":
                    response = client.get(path)
                elif path.startswith("/api/"):
                    staff_id = str(world["users"][role].id) if role != "anonymous" else ""
                    response = client.post(path, json={"staff_id": staff_id}, headers={
                        "X-Kiosk-Client": "outbox", "Idempotency-Key": str(uuid.uuid4())})
                else:
                    response = client.post(path, data={"csrf_token": token})
                response.close()
        except AssertionError as written:
            failures.append(f"{method} {path} ({endpoint}): {written}")
        if response.status_code != expected[role]:
            failures.append(f"{method} {path} ({endpoint}): {response.status_code}, "
                            f"expected {expected[role]}")
    assert failures == []


# Whatever a signed-in page, export or API answer holds, the browser must not keep a copy.
CACHEABLE = {"public.qr_code", "public.school_image", "pwa.service_worker", "pwa.manifest",
             "pwa.staff_manifest", "pwa.favicon", "api.description"}


def test_every_staff_admin_csv_and_json_response_is_no_store(app, world):
    # Each role in turn on one world: these rows only read (the API's are refused, 422).
    for role in ("head", "dsl", "reporter", "chair"):
        every_response_is_no_store(app, world, role)


def every_response_is_no_store(app, world, role):
    client = app.test_client()
    with app.app_context():
        sign_in_as(client, StaffUser.get_by_id(world["users"][role].id))
    checked = set()
    for endpoint, method, template, _ in MATRIX:
        if endpoint in CACHEABLE or endpoint == "auth.sign_out":
            continue
        path = template.format(**{k: v for k, v in world.items() if k != "users"})
        if method == "GET":
            response = client.get(path)
        elif path.startswith("/api/"):
            response = client.post(path, json={"staff_id": str(world["users"][role].id)}, headers={
                "X-Kiosk-Client": "outbox", "Idempotency-Key": str(uuid.uuid4())})
        else:
            continue
        response.close()
        assert response.headers.get("Cache-Control") == "no-store", (role, path,
                                                                     response.status_code)
        checked.add(response.mimetype)
    assert {"text/html", "application/json"} <= checked, role
    if role in ("head", "dsl"):
        assert "text/csv" in checked, role


def test_opening_someone_elses_record_is_audited_and_a_missing_one_is_not(app, client, dsl,
                                                                          teacher):
    from kiosk.models import AuditEvent

    from .helpers import make_breach

    with app.app_context():
        restricted = make_breach(teacher, subject_kind="staff", category="commercial")
        make_breach(teacher)  # other records exist; the missing one is still just missing
    sign_in_as(client, dsl)
    assert client.get(f"/records/breaches/{restricted.public_id}").status_code == 404
    missing = uuid.uuid4()
    assert client.get(f"/records/breaches/{missing}").status_code == 404
    with app.app_context():
        refused = [(e.record_kind, e.record_id, e.actor_id) for e in AuditEvent.select().where(
            AuditEvent.action == "access.refused")]
    assert refused == [("breach", str(restricted.public_id), dsl.id)]


# Commands and setting names are for IT support (the README); a page says what to ask them for.
FOR_IT_SUPPORT_ONLY = ("flask ", "--app", "KIOSK_", ".env")


def assert_no_commands_or_settings(html: str, where: str) -> None:
    shown = [words for words in FOR_IT_SUPPORT_ONLY if words.lower() in html.lower()]
    assert shown == [], f"{where} shows {shown}"


def test_no_page_a_role_opens_names_a_command_or_a_setting(app, world):
    """No mail server, the daily clean-up never run, someone still to accept: the states in
    which pages used to name a command or a setting. Each role in turn on one world (only
    GETs)."""
    for role in ("head", "dsl", "chair", "reporter"):
        no_page_names_a_command_or_a_setting(app, world, role)


def no_page_names_a_command_or_a_setting(app, world, role):
    client = app.test_client()
    with app.app_context():
        sign_in_as(client, StaffUser.get_by_id(world["users"][role].id))
    pages = 0
    for endpoint, method, template, expected in MATRIX:
        if method != "GET" or expected[role] != 200:
            continue
        path = template.format(**{k: v for k, v in world.items() if k != "users"})
        response = client.get(path)
        response.close()
        if response.mimetype == "text/html":
            assert_no_commands_or_settings(response.get_data(as_text=True),
                                           f"{path} ({endpoint}, {role})")
            pages += 1
    assert pages >= {"head": 30, "dsl": 15, "chair": 10, "reporter": 15}[role], role


def test_the_heads_warnings_say_what_to_ask_it_support_for(app, world):
    """The warnings that once gave a command: no chair's account, no mail server, the clean-up."""
    head = app.test_client()
    with app.app_context():
        StaffUser.update(active=False).where(StaffUser.role == "chair").execute()
        sign_in_as(head, StaffUser.get_by_id(world["users"]["head"].id))
    staff = head.get("/admin/staff").get_data(as_text=True)
    assert "ask your IT support to create the chair of governors' account" in staff
    token = hidden_fields(staff)["csrf_token"]
    reminded = head.post("/admin/roster/remind", data={"csrf_token": token},
                         follow_redirects=True).get_data(as_text=True)
    assert "connect the kiosk to the school&#39;s email server" in reminded
    retention = head.get("/admin/retention").get_data(as_text=True)
    assert "Ask your IT support to set up the daily clean-up" in retention
    for where, html in (("staff accounts", staff), ("reminders", reminded), ("retention", retention)):
        assert_no_commands_or_settings(html, where)


def test_the_first_accounts_page_without_its_link_says_to_ask_it_support(app, client):
    response = client.get("/setup")
    html = response.get_data(as_text=True)
    assert response.status_code == 403 and "Ask your IT support for the set-up link" in html
    assert_no_commands_or_settings(html, "/setup")
