"""Officers' web console of the Trung tâm Khuyến công (issue 13).

A separate aiohttp process (``python -m console serve``) that reads the bot's database
(:func:`policy_kb.db.database_url`) so officers work in a browser instead of the CLI:

- :mod:`console.settings`  -- :class:`ConsoleSettings` from the environment.
- :mod:`console.app`       -- :func:`make_app`, middlewares, page registration (``PAGES``).
- :mod:`console.security`  -- sessions, login/logout, CSRF, throttling, security headers,
  ``officer_required`` / ``admin_required`` / ``current_officer``.
- :mod:`console.accounts`  -- officers, sessions and login-attempt tables; argon2 passwords.
- :mod:`console.audit`     -- the audit log (who did what, when; never names, phones or texts).
- :mod:`console.render`    -- Jinja2 (autoescaped) templates under ``console/templates``.
- :mod:`console.questions` -- unanswered questions grouped the way an officer reads them.
- :mod:`console.stats`     -- figures for the statistics page.
- :mod:`console.handover`  -- live handover, console side: read a conversation, reply, hand back.
- :mod:`console.migrations` -- Alembic migrations and the programmatic :func:`upgrade`.
- :mod:`console.pages`     -- one module per page (leads, questions, inbox, stats, accounts).
- ``python -m console``    -- CLI: serve, migrate, create-user, set-password, disable-user, list-users.
"""
