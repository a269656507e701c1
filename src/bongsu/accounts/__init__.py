"""Accounts and security: users, organisations and their roles, projects and their
ingest keys, API tokens, sessions, e-mailed codes and the audit log.

    credentials   the credentials' names, prefixes and how their secrets are stored
    roles         viewer < editor < admin < owner
    principal     who is calling (the Principal every API request resolves to)
    authenticate  ingest keys on the OTLP port, sessions and API tokens on the API
    tables        the metadata tables (migration 0012)
"""
