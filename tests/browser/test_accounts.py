"""The console's accounts pages on a real accounts-mode server that mails through a real
SMTP server (aiosmtpd on loopback, STARTTLS and login): sign-up in the form with the
policy's rules ticked while typing, the code read from the mail, verification, the
dashboard; an owner inviting a viewer who signs up with the invited address and accepts;
the viewer's Rules page without write controls, and a write sent from the page's own
context refused 403; sign-out; a wrong password showing the server's message; the
organisation and audit pages. Screenshots: docs/screenshots/accounts-*.png.
"""

from __future__ import annotations

import re
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from accounts.conftest import ADMIN_PASSWORD, PASSWORD, accounts_env, code_for, mails_to
from alerts.receivers import SmtpReceiver
from server_process import ServerProcess

from .conftest import CHROMIUM, Problems

pytestmark = pytest.mark.timeout(240)

VIEWPORT = {"width": 1366, "height": 768}
#: An alert rule as the Rules page's form would send it.
RULE: dict[str, Any] = {
    "name": "errors",
    "kind": "threshold",
    "severity": "warning",
    "for": "0s",
    "interval": "1m",
    "spec": {"figure": "error_rate", "op": ">", "value": 0.05, "window_s": 300},
}


@dataclass
class Site:
    server: ServerProcess
    smtp: SmtpReceiver

    @property
    def url(self) -> str:
        return self.server.api_url

    def api(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    from bongsu.web import static_dir

    if static_dir() is None:
        pytest.skip("web console not built: run `npm ci && npm run build` in web/")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} missing: apt-get install -y chromium")
    root = tmp_path_factory.mktemp("accounts-console")
    smtp = SmtpReceiver(root, "bongsu", "smtp-pw")
    server = ServerProcess(root / "data", accounts_env(smtp)).start()
    try:
        yield Site(server, smtp)
    finally:
        server.stop()
        smtp.stop()


class Expected(Problems):
    """Problems, less the refusals a test provokes on purpose: ``(status, path)`` pairs,
    each allowed as often as it is listed (and the console line Chromium logs for it)."""

    def __init__(self, *allowed: tuple[int, str]) -> None:
        super().__init__()
        self.allowed = list(allowed)
        self.logged = [status for status, _ in allowed]

    def on_console(self, msg: Any) -> None:
        found = re.search(r"Failed to load resource: .* status of (\d+)", msg.text)
        if msg.type == "error" and found and int(found.group(1)) in self.logged:
            self.logged.remove(int(found.group(1)))
            return
        super().on_console(msg)

    def on_response(self, resp: Any) -> None:
        path = urllib.parse.urlparse(resp.url).path
        if (resp.status, path) in self.allowed:
            self.allowed.remove((resp.status, path))
            return
        super().on_response(resp)


def watch(page: Any, problems: Problems) -> Problems:
    page.on("console", problems.on_console)
    page.on("pageerror", lambda err: problems.items.append(f"pageerror: {err}"))
    page.on("response", problems.on_response)
    page.on("requestfailed", problems.on_failed)
    return problems


def open_page(browser: Any, problems: Problems) -> Any:
    """A fresh browser context (no cookies) and its page, watched."""
    page = browser.new_context(viewport=VIEWPORT).new_page()
    watch(page, problems)
    return page


def fill_signup(page: Any, login: str, email: str, organisation: str = "") -> None:
    page.fill("#signup-login", login)
    page.fill("#signup-email", email)
    page.fill("#signup-password", PASSWORD)
    page.fill("#signup-organisation", organisation)


def verify_from_mail(page: Any, site: Site, email: str, after: int) -> None:
    """The verification page: the code the SMTP server received, typed in."""
    page.wait_for_selector("#page-verify #verify-code")
    page.fill("#verify-code", code_for(site.smtp, email, after=after))
    page.click("#verify-submit")


def sign_in(page: Any, site: Site, login: str, password: str = PASSWORD) -> None:
    page.goto(f"{site.url}/#/login?lang=en&theme=dark")
    page.wait_for_selector("#login-form")
    page.fill("#login-login", login)
    page.fill("#login-password", password)
    page.click("#login-submit")
    page.wait_for_selector("#account-user")


def api_sign_up(site: Site, login: str, organisation: str = "") -> httpx.Client:
    """A user made the way the API's tests do (sign-up, the mailed code, verify)."""
    email = f"{login.lower()}@example.net"
    http = site.api()
    seen = len(mails_to(site.smtp, email))
    assert (
        http.post(
            "/api/v1/auth/signup",
            json={
                "login": login,
                "email": email,
                "password": PASSWORD,
                "organisation": organisation,
            },
        ).status_code
        == 201
    )
    code = code_for(site.smtp, email, after=seen)
    assert http.post("/api/v1/auth/verify", json={"login": login, "code": code}).status_code == 200
    http.headers["X-CSRF-Token"] = http.cookies["bongsu_csrf"]
    return http


def test_sign_up_in_the_form_verify_from_the_mail_and_the_dashboard_loads(
    browser: Any, site: Site, screenshots: Path
) -> None:
    # Not signed in: the session call answers 401 and the shell opens the sign-in page,
    # keeping where it was; a first sign-up with a lower-case id is refused (400).
    problems = Expected((401, "/api/v1/auth/session"), (400, "/api/v1/auth/signup"))
    page = open_page(browser, problems)
    page.goto(f"{site.url}/#/dashboard?lang=en&theme=dark")
    page.wait_for_selector("#page-login #login-form")
    assert re.search(r"#/login\?.*next=dashboard", page.url), page.url
    assert page.query_selector("nav.menu") is None and page.query_selector("#topbar") is None
    policy = site.api().get("/api/v1/auth/policy").json()
    assert policy["signup"] is True
    page.screenshot(path=str(screenshots / "accounts-login.png"))

    page.click("#to-signup")
    page.wait_for_selector("#signup-form #password-rules li")
    shown = page.eval_on_selector_all(
        "#password-rules li", "ls => ls.map(l => l.textContent.slice(1))"
    )
    assert shown == policy["password_rules"]
    # Typed: each rule the password breaks is crossed, and all are ticked once it is good.
    page.fill("#signup-password", "short")
    states = page.eval_on_selector_all("#password-rules li", "ls => ls.map(l => l.dataset.state)")
    assert "unmet" in states, states
    page.fill("#signup-password", PASSWORD)
    states = page.eval_on_selector_all("#password-rules li", "ls => ls.map(l => l.dataset.state)")
    assert states == ["met"] * len(policy["password_rules"]), (states, policy["password_rules"])

    # The server's 400 beside the field it names: the same message the API gives.
    bad = {
        "login": "ana_lower",
        "email": "ana@example.net",
        "password": PASSWORD,
        "organisation": "Ana's shop",
    }
    said = site.api().post("/api/v1/auth/signup", json=bad)
    assert said.status_code == 400 and said.json()["detail"].startswith("login"), said.text
    fill_signup(page, bad["login"], bad["email"], bad["organisation"])
    page.click("#signup-submit")
    page.wait_for_selector(".field-error[data-field=login]")
    assert page.inner_text(".field-error[data-field=login]") == said.json()["detail"]
    assert (
        page.eval_on_selector_all("#login-rules li", "ls => ls.map(l => l.dataset.state)").count(
            "unmet"
        )
        >= 1
    )
    page.screenshot(path=str(screenshots / "accounts-signup.png"))

    fill_signup(page, "ANA", "ana@example.net", "Ana's shop")
    page.click("#signup-submit")
    page.wait_for_selector("#verify-countdown")
    left = int(page.get_attribute("#verify-countdown", "data-left") or "0")
    assert 280 <= left <= 300, left
    verify_from_mail(page, site, "ana@example.net", after=0)

    # Signed in: the dashboard the sign-in page was asked from, the owner of a new org.
    page.wait_for_selector("#account-user")
    assert "#/dashboard" in page.url
    page.wait_for_selector("#page-dashboard, .page.dashboard, [data-state=empty]")
    assert page.inner_text("#account-user") == "ANA · owner"
    session = page.evaluate("() => fetch('api/v1/auth/session').then(r => r.json())")
    assert session["user"]["login"] == "ANA" and session["org"]["name"] == "Ana's shop"
    assert session["org"]["role"] == "owner"
    assert page.query_selector("nav.menu a[data-page=audit]") is not None
    assert page.query_selector("#sign-out") is not None
    problems.check()
    assert problems.allowed == []
    page.context.close()


def test_an_invited_viewer_has_no_write_controls_and_a_write_is_refused(
    browser: Any, site: Site, screenshots: Path
) -> None:
    owner = api_sign_up(site, "OWEN", organisation="Owen's shop")
    # A rule, so the viewer's Rules page has rows (whose edit buttons must be absent).
    rule = RULE
    made = owner.post("/api/v1/rules", json=rule)
    assert made.status_code in (200, 201), made.text

    problems = Expected()
    page = open_page(browser, problems)
    sign_in(page, site, "OWEN")
    page.goto(f"{site.url}/#/org?tab=invitations&lang=en&theme=dark")
    page.wait_for_selector("#invite-form")
    page.fill("#invite-email", "vic@example.net")
    page.select_option("#invite-role", "viewer")
    page.click("#invite-submit")
    page.wait_for_selector("#invitation-link .secret-value")
    link = page.inner_text("#invitation-link .secret-value")
    assert re.fullmatch(re.escape(site.url) + r"/#/accept\?token=bsi_[\w-]+", link), link
    pending = owner.get("/api/v1/org/invitations").json()["invitations"]
    assert [(i["email"], i["role"], i["state"]) for i in pending] == [
        ("vic@example.net", "viewer", "pending")
    ]
    page.wait_for_selector(
        "#invitations-table tr[data-email='vic@example.net'][data-state=pending]"
    )
    page.screenshot(path=str(screenshots / "accounts-org.png"))
    problems.check()

    # The invited person: not signed in, the link asks to sign in or sign up first.
    vic_problems = Expected((401, "/api/v1/auth/session"), (403, "/api/v1/rules"))
    vic = open_page(browser, vic_problems)
    vic.goto(link)
    vic.wait_for_selector("#accept-signup")
    vic.click("#accept-signup")
    vic.wait_for_selector("#signup-form")
    seen = len(mails_to(site.smtp, "vic@example.net"))
    fill_signup(vic, "VIC", "vic@example.net")
    vic.click("#signup-submit")
    verify_from_mail(vic, site, "vic@example.net", after=seen)
    # Verified and signed in, back on the invitation.
    vic.wait_for_selector("#accept-submit")
    assert "VIC" in vic.inner_text("#accept-as")
    vic.click("#accept-submit")
    vic.wait_for_selector("#account-user")
    assert vic.inner_text("#account-user") == "VIC · viewer"
    members = owner.get("/api/v1/org/members").json()["members"]
    assert {(m["login"], m["role"]) for m in members} == {("OWEN", "owner"), ("VIC", "viewer")}

    # The Rules page as a viewer: the rule listed, no form, no edit or enable buttons.
    vic.goto(f"{site.url}/#/rules?lang=en&theme=dark")
    vic.wait_for_selector("#rules-table tr[data-rule]")
    names = sorted(r["name"] for r in owner.get("/api/v1/rules").json()["rules"])
    assert "errors" in names
    listed = vic.eval_on_selector_all(
        "#rules-table tr[data-rule] td.name", "ts => ts.map(t => t.textContent)"
    )
    assert sorted(listed) == names
    assert vic.query_selector("#rule-form") is None
    assert vic.query_selector_all("#rules-table .edit-btn, #rules-table .toggle-btn") == []
    assert "viewer" in vic.inner_text("#rule-form-panel .write-hint")
    assert vic.query_selector("nav.menu a[data-page=audit]") is None
    assert vic.query_selector("#quick-service") is None
    # What the page would have sent, from its own context (its cookie and CSRF token): 403.
    refused = vic.evaluate(
        """rule => fetch('api/v1/rules', {method: 'POST', body: JSON.stringify(rule),
             headers: {'Content-Type': 'application/json', 'X-CSRF-Token':
               document.cookie.split('; ').find(c => c.startsWith('bongsu_csrf=')).split('=')[1]}})
           .then(async r => [r.status, (await r.json()).detail])""",
        {**rule, "name": "from-the-viewer"},
    )
    assert refused[0] == 403, refused
    assert [r["name"] for r in owner.get("/api/v1/rules").json()["rules"]].count(
        "from-the-viewer"
    ) == 0
    # Two organisations now (the one made at verification, and Owen's): the switcher.
    options = vic.eval_on_selector_all("#org-select option", "os => os.map(o => o.textContent)")
    assert sorted(options) == sorted(o["name"] for o in vic_orgs(site, vic))
    own = next(o for o in vic_orgs(site, vic) if o["role"] == "owner")
    vic.select_option("#org-select", str(own["id"]))
    vic.wait_for_function(
        "() => document.querySelector('#account-user')?.textContent === 'VIC · owner'"
    )
    vic_problems.check()
    assert vic_problems.allowed == []

    # The audit log, as the owner: the invitation and the viewer's joining are there.
    page.goto(f"{site.url}/#/audit?lang=en&theme=dark")
    page.wait_for_selector("#audit-table tbody tr")
    entries = owner.get("/api/v1/audit", params={"limit": 500}).json()["entries"]
    shown = page.eval_on_selector_all(
        "#audit-table tbody tr", "rs => rs.map(r => r.dataset.action)"
    )
    assert shown == [e["action"] for e in entries]
    page.click("#audit-table tbody tr:first-child")
    assert page.inner_text("#audit-detail").startswith("{")
    page.screenshot(path=str(screenshots / "accounts-audit.png"))
    # Filtered by action: exactly what the API answers for that filter.
    page.fill("#audit-action", "invitation.create")
    page.click("#audit-apply")
    page.wait_for_function(
        "() => [...document.querySelectorAll('#audit-table tbody tr')]"
        ".every(r => r.dataset.action === 'invitation.create')"
    )
    only = owner.get("/api/v1/audit", params={"action": "invitation.create"}).json()["entries"]
    assert len(only) == 1 and only[0]["target"] == "vic@example.net"
    rows = page.eval_on_selector_all(
        "#audit-table tbody tr td.target", "ts => ts.map(t => t.textContent)"
    )
    assert rows == [e["target"] for e in only]
    assert "action=invitation.create" in page.url
    problems.check()
    vic.context.close()
    page.context.close()


def vic_orgs(site: Site, page: Any) -> list[dict[str, Any]]:
    """The organisations of the page's user, as the API lists them to its session."""
    orgs: list[dict[str, Any]] = page.evaluate(
        "() => fetch('api/v1/orgs').then(r => r.json()).then(b => b.orgs)"
    )
    return orgs


def test_a_project_and_its_ingest_key_made_in_the_console(browser: Any, site: Site) -> None:
    pia = api_sign_up(site, "PIA", organisation="Pia's shop")
    problems = Expected()
    page = open_page(browser, problems)
    sign_in(page, site, "PIA")
    page.goto(f"{site.url}/#/org?tab=projects&lang=en&theme=dark")
    page.wait_for_selector("#project-form")
    page.fill("#project-name", "staging")
    page.click("#project-submit")
    page.wait_for_selector(".project h4:has-text('staging')")
    projects = pia.get("/api/v1/org/projects").json()["projects"]
    staging = next(p for p in projects if p["name"] == "staging")
    form = f".key-form[data-project='{staging['tenant']}']"
    page.fill(f"{form} input[name=name]", "agents of staging")
    page.click(f"{form} button[type=submit]")
    key = page.wait_for_selector("#ingest-key .secret-value").inner_text()
    assert key.startswith("bsk_")
    listed = pia.get(f"/api/v1/org/projects/{staging['id']}/keys").json()["keys"]
    assert [(k["name"], key.startswith(k["prefix"])) for k in listed] == [
        ("agents of staging", True)
    ]
    # The top bar's picker lists the new project; choosing it sends its tenant with
    # every call.
    page.wait_for_selector(f"#project-select option[value='{staging['tenant']}']", state="attached")
    sent: list[str] = []
    page.on(
        "request",
        lambda r: (
            sent.append(r.headers.get("x-bongsu-project", ""))
            if "/api/v1/services" in r.url
            else None
        ),
    )
    page.goto(f"{site.url}/#/dashboard?lang=en&theme=dark")
    page.select_option("#project-select", staging["tenant"])
    deadline = time.monotonic() + 20
    while staging["tenant"] not in sent and time.monotonic() < deadline:
        page.wait_for_timeout(200)
    assert staging["tenant"] in sent, sent
    problems.check()
    page.context.close()


def test_sign_out_opens_the_sign_in_page(browser: Any, site: Site) -> None:
    api_sign_up(site, "SAM")
    problems = Expected((401, "/api/v1/auth/session"))
    page = open_page(browser, problems)
    sign_in(page, site, "SAM")
    page.click("#sign-out")
    page.wait_for_selector("#page-login #login-form")
    assert page.query_selector("nav.menu") is None
    # The session is gone on the server too.
    status = page.evaluate("() => fetch('api/v1/auth/session').then(r => r.status)")
    assert status == 401
    problems.check()
    page.context.close()


def test_a_wrong_password_shows_the_servers_message(browser: Any, site: Site) -> None:
    api_sign_up(site, "WES")
    said = site.api().post("/api/v1/auth/login", json={"login": "WES", "password": "Wrong-Pass-1"})
    assert said.status_code == 401
    problems = Expected((401, "/api/v1/auth/login"))
    page = open_page(browser, problems)
    page.goto(f"{site.url}/#/login?lang=en&theme=dark")
    page.wait_for_selector("#login-form")
    page.fill("#login-login", "WES")
    page.fill("#login-password", "Wrong-Pass-1")
    page.click("#login-submit")
    page.wait_for_selector("#login-error")
    assert page.inner_text("#login-error") == said.json()["detail"]
    assert page.query_selector("#account-user") is None
    problems.check()
    assert problems.allowed == []
    page.context.close()


def test_the_trial_banner_and_a_read_only_organisation_offer_no_writes(
    browser: Any, site: Site
) -> None:
    rita = api_sign_up(site, "RITA", organisation="Rita's shop")
    org_id = rita.get("/api/v1/org").json()["id"]
    operator = site.api()
    signed_in = operator.post(
        "/api/v1/auth/login", json={"login": "ADMIN", "password": ADMIN_PASSWORD}
    )
    assert signed_in.status_code == 200, signed_in.text
    operator.headers["X-CSRF-Token"] = operator.cookies["bongsu_csrf"]
    now_us = int(time.time() * 1e6)

    def trial_ends(ends_us: int) -> None:
        set_ = operator.put("/api/v1/org/trial", json={"ends_us": ends_us, "org_id": org_id})
        assert set_.status_code == 200, set_.text

    problems = Expected()
    page = open_page(browser, problems)
    # Two days left: the banner says when; the owner still writes.
    trial_ends(now_us + 2 * 86_400_000_000)
    sign_in(page, site, "RITA")
    page.goto(f"{site.url}/#/rules?lang=en&theme=dark")
    page.wait_for_selector("#rule-form")
    banner = page.wait_for_selector("#account-banner[data-kind=trial]")
    assert "2 days left" in banner.inner_text()
    # Ended: read-only, the date said, no write offered even to the owner.
    trial_ends(now_us - 3_600_000_000)
    page.reload()
    banner = page.wait_for_selector("#account-banner[data-kind=read-only]")
    assert "read-only" in banner.inner_text()
    page.wait_for_selector("#rule-form-panel .write-hint")
    assert "read-only" in page.inner_text("#rule-form-panel .write-hint")
    assert page.query_selector("#rule-form") is None
    assert page.query_selector("#quick-service") is None
    late = {**RULE, "name": "late"}
    assert rita.post("/api/v1/rules", json=late).status_code == 403
    problems.check()
    page.context.close()


def test_a_forgotten_password_reset_with_the_mailed_code(browser: Any, site: Site) -> None:
    api_sign_up(site, "REX")
    problems = Expected()
    page = open_page(browser, problems)
    page.goto(f"{site.url}/#/login?lang=en&theme=dark")
    page.click("#to-forgot")
    page.wait_for_selector("#forgot-form")
    seen = len(mails_to(site.smtp, "rex@example.net"))
    page.fill("#forgot-login", "rex@example.net")
    page.click("#forgot-submit")
    page.wait_for_selector("#reset-form")
    assert page.input_value("#reset-login") == "rex@example.net"
    page.fill("#reset-code", code_for(site.smtp, "rex@example.net", after=seen))
    page.fill("#reset-password", "New-Password-2")
    assert page.eval_on_selector_all(
        "#password-rules li", "ls => ls.every(l => l.dataset.state === 'met')"
    )
    page.click("#reset-submit")
    page.wait_for_selector("#reset-done")
    old = site.api().post("/api/v1/auth/login", json={"login": "REX", "password": PASSWORD})
    assert old.status_code == 401
    page.click("#to-login")
    page.wait_for_selector("#login-form")
    page.fill("#login-login", "REX")
    page.fill("#login-password", "New-Password-2")
    page.click("#login-submit")
    page.wait_for_selector("#account-user")
    assert page.inner_text("#account-user") == "REX · owner"
    problems.check()
    page.context.close()
