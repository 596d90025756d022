"""The classroom server (``gradstep serve``) and what a served dashboard does differently.

``gradstep serve`` runs one dashboard process per browser tab (textual-serve). The modules here
keep a room of students from reaching the teacher's computer through those dashboards:

- :mod:`~gradstep.tui.classroom.access`: the token (in the printed link, then a cookie), the
  Host and Origin checks;
- :mod:`~gradstep.tui.classroom.limits`: how many dashboards at once, the page size cap, the
  per-session memory footprint;
- :mod:`~gradstep.tui.classroom.pages`: the pages of our own (no font or script from the
  internet), the "class is full" and "token needed" pages;
- :mod:`~gradstep.tui.classroom.server`: the aiohttp server, textual-serve's ``Server`` made
  safe for a room;
- :mod:`~gradstep.tui.classroom.served`: the dashboard's side: ``o`` and ``R`` confined to the
  bundled scenarios and one folder, ``e`` and ``p`` delivered as downloads to the student's
  browser, nothing written on the teacher's disk.

Only :mod:`~gradstep.tui.classroom.served` is imported by the dashboard; the others by
``gradstep serve``.
"""
