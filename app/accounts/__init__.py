"""A resident's account pages: register, log in and out, reset the password, the account.

They sit above app.auth, app.patients and app.notifications because registering joins
all three (an account, its holder as first patient, an SMS code through the outbox).
"""
