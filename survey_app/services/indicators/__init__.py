"""The dossier-based measures of Quyết định 766/QĐ-TTg group 5 (issue 14, parts 2 and 3).

:mod:`.measures` counts the dossiers returned in a period per unit, procedure or counter
(early, on time, late, with a complaint or a "dislike", apology letters) and the complaints
answered within their due days, and turns them into indicators 5.4 and 5.2 with
``scoring.measures``; :mod:`.output` writes them as a table, JSON or CSV; :mod:`.late` sets
SIPAS of verified respondents whose dossier was late against those on time; :mod:`.cli` is
``sipas indicators``.  Nothing here is imported at start-up: the command imports the service
when it runs.
"""
