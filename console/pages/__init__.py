"""Console pages: one module per page, each exposing ``routes = web.RouteTableDef()``.

Registered by :data:`console.app.PAGES`. Handlers use :func:`console.render.render`,
:func:`console.security.officer_required` / ``admin_required`` and :func:`console.audit.audit`.
"""
