"""The lead store: what people leave with the centre, kept apart from the knowledge base.

Above :mod:`policy_kb` (it uses its database configuration, :mod:`policy_kb.db`) and
:mod:`vntext` (phone numbers); below the Rasa side, the console and the actions, which use it.

- :mod:`lead_store.leads`     -- leads (consented contact requests): table, validation, save, list, erase.
- :mod:`lead_store.consent`   -- the consent notice and its versions, asked before a name and phone.
- :mod:`lead_store.outbox`    -- durable local outbox for leads that could not reach the database.
- :mod:`lead_store.erasure`   -- erasure requests the assistant cannot carry out itself.
- :mod:`lead_store.handovers` -- live handovers to an officer, and the Zalo OA admin pause.
- :mod:`lead_store.cli`       -- ``khuyencong-leads``: officers export leads and mark them contacted.
"""
