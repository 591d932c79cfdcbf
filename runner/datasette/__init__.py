"""The Datasette plugin of `smsops serve`: routes for provider webhooks and short links; the
metadata, canned queries and dashboards of the results database."""
