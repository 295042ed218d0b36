"""The outbox and its channels: SMS, e-mail and the site inbox."""
