"""Accounts and security: users, organisations and their roles, projects and their
ingest keys, API tokens, sessions, e-mailed codes and the audit log (``docs/accounts.md``).

    credentials   the credentials' names, prefixes and how their secrets are stored
    roles         viewer < editor < admin < owner
    principal     who is calling (the Principal every API request resolves to)
    authenticate  ingest keys on the OTLP port, sessions and API tokens on the API
    tables        the metadata tables (migration 0012)
    passwords     the user id and password policy, argon2id hashes
    codes         six-digit e-mailed codes (verification, reset)
    mailer        SMTP, through the alert e-mail channel's sender
    users         sign-up, verification, reset, password change
    sessions      sign-in, lockout, sessions and their cookies
    ratelimit     attempts per client address
    oidc          single sign-on (authorization code + PKCE, RS256 ID tokens)
    bootstrap     the first operator on a fresh server
    orgs          organisations and their first project
    members       roles in an organisation, the last owner
    invitations   one-time links to join an organisation
    projects      projects (store tenants) and their ingest keys
    tokens        API tokens of users and service accounts
    trial         the free trial and what ends with it
    audit         the audit log
"""
