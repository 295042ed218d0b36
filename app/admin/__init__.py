"""The programme admin's pages and commands: staff accounts and their roles.

It sits at the top with app.web because a staff account joins app.auth (the account)
and app.directory (the venues a coordinator plans, the experts an assistant serves).
"""
