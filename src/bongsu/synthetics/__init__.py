"""Synthetic checks: probes the server runs on a schedule, their results and their state.

The data path, one module each: a check's definition (``definition``: checked field by
field, errors naming the field) is kept in the metadata database (``repo``); the check
types (``types/``: ``http``, ``tcp``, registered like a third party's) probe a target and
report an :class:`~bongsu.synthetics.model.Outcome`; ``conditions`` judges an outcome
(status, response time, body, JSON path, TLS days left, combined with ``all`` / ``any``);
``state`` turns consecutive results into up / down with the check's thresholds; the
``runner`` (only on the holder of the ``checks`` lease) runs due checks on a bounded pool
and writes :class:`~bongsu.synthetics.model.CheckResult` rows through the telemetry store,
where the SLA figures and the alert rule kind ``check`` read them.
"""
