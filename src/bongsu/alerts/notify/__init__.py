"""Notifications: routes and grouping, silences, the notifier and the durable outbox.

The path of an alert's state change: :class:`~bongsu.alerts.notify.notifier.Notifier`
takes the evaluator's Transitions, matches routes, holds them in groups and, when a group
is due, writes one Notification per channel into the outbox — in the same transaction.
:class:`~bongsu.alerts.notify.outbox.Dispatcher` then delivers the outbox through the
registered channel types, retrying with backoff.
"""
