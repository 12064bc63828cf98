"""Counter tablets (issue 15): enrolment, device credentials, heartbeats and the kiosk's
ratings.

:mod:`.devices` enrols a tablet with a one-time code, authenticates its credential (stored
as a digest only, never the counter's QR token), records its heartbeat, renames and revokes
it — each administrative step audited in the same transaction — and says which tablets of a
unit have gone silent.  :mod:`.ratings` stores what a tablet sends through
``ingest.responses.submit`` (source ``kiosk``, the device, the tablet's own allowance) and
resolves a typed dossier code (:func:`.ratings.dossier_for_code`).  :mod:`.silence` notices
the tablets silent during their unit's opening hours (every few minutes, on the queue) and
fires the unit's ``silent`` alert rule.
"""
