"""Console pages: one module per page, each exposing ``routes = web.RouteTableDef()``.

Registered by :data:`console.app.PAGES`. Handlers use :func:`console.render.render`,
:func:`console.security.officer_required` / ``admin_required`` and :func:`console.audit.audit`.

- :mod:`console.pages.leads`     -- leads: filters, detail, export, mark contacted, deletion, erasure requests.
- :mod:`console.pages.questions` -- unanswered questions.
- :mod:`console.pages.inbox`     -- the handover inbox and one conversation.
- :mod:`console.pages.stats`     -- statistics charts, tables and CSV.
- :mod:`console.pages.accounts`  -- accounts and the audit log (admins).
"""
